// Boost.Beast implementation of http::Server (callback style, one strand per connection).
//
// A connection moves through phases: waiting for a request header (kIdle between keep-alive
// requests, kHeader once bytes arrived or on a fresh connection), reading the body (kBody),
// waiting for the handler (kHandling), writing (kWriting) and, before closing, lingering
// (kLinger). Connections in kIdle, kHeader or kLinger are "waiting" and listed, oldest first, in
// Shared::waiting: at the connection cap the one that has waited longest is evicted to make room
// for a new one, so clients holding half-open connections cannot lock others out.
#include <utility>  // Boost 1.74's asio headers use std::exchange without including it.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "http/http.h"

namespace herald::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Bytes read at once while waiting on an idle connection or discarding input when lingering.
constexpr size_t kReadChunk = 4096;
// Warnings about the connection cap and accept failures are logged at most this often.
constexpr std::chrono::seconds kWarnEvery{10};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

class Session;

// State shared by the server and its connections; sessions keep it alive.
struct Shared {
  ServerOptions options;
  Handler handler;
  int cap = 1;
  std::atomic<int> open{0};
  std::mutex mu;
  std::map<uint64_t, std::weak_ptr<Session>> waiting;  // key: order in which they began waiting
  uint64_t next_seq = 1;
  std::atomic<int64_t> last_warn{0};

  uint64_t AddWaiting(std::weak_ptr<Session> s) {
    std::lock_guard<std::mutex> lock(mu);
    uint64_t seq = next_seq++;
    waiting.emplace(seq, std::move(s));
    return seq;
  }
  void RemoveWaiting(uint64_t seq) {
    std::lock_guard<std::mutex> lock(mu);
    waiting.erase(seq);
  }
  // The live session that has waited longest, removed from the list; null when none waits.
  std::shared_ptr<Session> TakeOldestWaiting() {
    std::lock_guard<std::mutex> lock(mu);
    while (!waiting.empty()) {
      auto s = waiting.begin()->second.lock();
      waiting.erase(waiting.begin());
      if (s) return s;
    }
    return nullptr;
  }
  bool ShouldWarn() {
    int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    int64_t last = last_warn.load();
    int64_t every =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(kWarnEvery).count();
    return (last == 0 || now - last >= every) && last_warn.compare_exchange_strong(last, now);
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), opts_(shared_->options) {}
  ~Session() { CloseSocket(); }

  void Start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::BeginRequest, shared_from_this(), true));
  }

  // Closes the connection if it is still waiting for a request (called through Evict()).
  void Evict() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->seq_ = 0;  // already taken off the waiting list
      if (self->phase_ == Phase::kIdle || self->phase_ == Phase::kHeader ||
          self->phase_ == Phase::kLinger) {
        log::Debug("connection evicted", {{"remote", self->remote_}});
        self->CloseSocket();
      }
    });
  }

 private:
  enum class Phase { kIdle, kHeader, kBody, kHandling, kWriting, kLinger, kClosed };

  void SetWaiting(bool on) {
    if (seq_ != 0) {
      shared_->RemoveWaiting(seq_);
      seq_ = 0;
    }
    if (on) seq_ = shared_->AddWaiting(weak_from_this());
  }

  void BeginRequest(bool first) {
    if (phase_ == Phase::kClosed) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    parser_->body_limit(opts_.max_body_bytes);
    head_ = Request();
    is_head_ = false;
    body_limit_ = opts_.max_body_bytes;
    SetWaiting(true);
    if (first || buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    phase_ = Phase::kIdle;
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Session::OnIdleData, shared_from_this()));
  }

  void OnIdleData(beast::error_code ec, std::size_t n) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return CloseSocket();
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    phase_ = Phase::kHeader;
    stream_.expires_after(std::chrono::seconds(opts_.header_timeout_seconds));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (phase_ == Phase::kClosed) return;
    SetWaiting(false);
    phase_ = Phase::kBody;
    if (ec) return OnReadError(ec);
    const auto& msg = parser_->get();
    head_.method = std::string(msg.method_string());
    head_.SetTarget(std::string(msg.target()));
    head_.version = msg.version();
    for (const auto& f : msg) head_.headers.emplace_back(f.name_string(), f.value());
    head_.remote = remote_;
    keep_alive_ = msg.keep_alive();
    is_head_ = head_.method == "HEAD";

    std::string framing = FramingError(head_.headers, head_.version);
    if (!framing.empty()) return Fail(400, "Malformed HTTP request: " + framing + ".");
    if (opts_.head_check) {
      HeadDecision d;
      try {
        d = opts_.head_check(head_);
      } catch (const std::exception& e) {
        log::Error("unhandled error in request header check",
                   {{"path", head_.path}, {"error", e.what()}});
        return Fail(500, "Internal error; see the server log.");
      }
      if (d.reject) {
        d.reject->close = true;
        return Write(std::move(*d.reject));
      }
      if (d.max_body_bytes > 0 && d.max_body_bytes < body_limit_) body_limit_ = d.max_body_bytes;
    }
    if (auto len = parser_->content_length(); len && *len > body_limit_) return FailBodyLimit();
    parser_->body_limit(body_limit_);

    std::string_view expect = TrimBlanks(head_.header("Expect"));
    if (head_.has_header("Expect")) {
      if (!EqualsIgnoreCase(expect, "100-continue"))
        return Fail(417, "Unsupported expectation; only \"Expect: 100-continue\" is understood.");
      if (head_.version >= 11 && !parser_->is_done()) {
        stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_seconds));
        net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                           if (self->phase_ == Phase::kClosed) return;
                           if (ec) return self->CloseSocket();
                           self->ReadBody();
                         });
        return;
      }
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Dispatch();
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (phase_ == Phase::kClosed) return;
    if (ec) return OnReadError(ec);
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == bhttp::error::partial_message)
      return CloseSocket();
    if (ec == bhttp::error::header_limit)
      return Fail(431, "Request header exceeds the limit of " + std::to_string(kMaxHeaderBytes) +
                           " bytes.");
    if (ec == bhttp::error::body_limit) return FailBodyLimit();
    Fail(400, "Malformed HTTP request: " + ec.message() + ".");
  }

  void FailBodyLimit() {
    Fail(413, "Request body exceeds the limit of " + std::to_string(body_limit_) + " bytes.");
  }

  void Fail(int status, const std::string& detail) {
    Response r = Response::Detail(status, detail);
    r.close = true;
    Write(std::move(r));
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    Request req = std::move(head_);
    req.body = std::move(parser_->get().body());
    stream_.expires_never();
    auto done = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self = shared_from_this(), done](Response resp) {
      if (done->exchange(true)) {
        log::Error("request answered twice; the second answer is dropped",
                   {{"status", resp.status}});
        return;
      }
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    };
    std::string path = req.path;
    try {
      shared_->handler(std::move(req), respond);
    } catch (const std::exception& e) {
      log::Error("unhandled error in request handler", {{"path", path}, {"error", e.what()}});
      if (!done->load()) respond(Response::Detail(500, "Internal error; see the server log."));
    }
  }

  void Write(Response r) {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kWriting;
    if (r.status < 200 || r.status > 599) {
      log::Error("handler answered an invalid status; sending 500", {{"status", r.status}});
      r = Response::Detail(500, "Internal error; see the server log.");
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(bhttp::field::server, opts_.server_name);
    if (!r.content_type.empty() && IsHeaderValue(r.content_type))
      res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) {
      if (!IsHeaderName(k) || !IsHeaderValue(v)) {
        log::Error("response header dropped: invalid name or value", {{"header", k}});
        continue;
      }
      res->insert(k, v);
    }
    if (r.status == 204 || r.status == 304) r.body.clear();
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !r.close);
    res->prepare_payload();
    if (is_head_) res->body().clear();  // Content-Length stays what GET would send
    response_ = res;
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_seconds));
    bhttp::async_write(
        stream_, *res,
        beast::bind_front_handler(&Session::OnWrite, shared_from_this(), !res->keep_alive()));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t) {
    response_.reset();
    if (phase_ == Phase::kClosed) return;
    if (ec) return CloseSocket();
    if (close) return Linger();
    BeginRequest(false);
  }

  // Stops sending, then discards input until the client closes (bounded in time and bytes), so
  // a client still sending a body reads the answer instead of a connection reset.
  void Linger() {
    phase_ = Phase::kLinger;
    SetWaiting(true);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return CloseSocket();
    buffer_.consume(buffer_.size());
    linger_buf_ = std::make_unique<char[]>(kReadChunk);
    stream_.expires_after(kLingerTime);
    LingerRead();
  }

  void LingerRead() {
    stream_.async_read_some(net::buffer(linger_buf_.get(), kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (self->phase_ == Phase::kClosed) return;
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) return self->CloseSocket();
                              self->LingerRead();
                            });
  }

  void CloseSocket() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    if (seq_ != 0) {
      shared_->RemoveWaiting(seq_);
      seq_ = 0;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    shared_->open.fetch_sub(1);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  const ServerOptions& opts_;  // inside *shared_
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<void> response_;
  Request head_;
  std::string remote_;
  Phase phase_ = Phase::kHeader;
  uint64_t seq_ = 0;  // key in Shared::waiting, 0 when not listed
  size_t body_limit_ = 0;
  bool keep_alive_ = true;
  bool is_head_ = false;
  std::unique_ptr<char[]> linger_buf_;
  size_t lingered_ = 0;
};

// Answers a connection beyond the cap with 503 without reading from it, then closes it.
void Refuse(tcp::socket& s, const std::string& server_name) {
  const std::string answer = Serialize(
      Response::Detail(503, "Too many connections; try again later.").With("Retry-After", "1"), 11,
      server_name);
  beast::error_code ec;
  s.non_blocking(true, ec);
  s.write_some(net::buffer(answer), ec);
  s.shutdown(tcp::socket::shutdown_send, ec);
  s.close(ec);
}

bool OutOfDescriptors(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  int v = ec.value();
  return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  net::io_context ioc;
  net::strand<net::io_context::executor_type> strand{net::make_strand(ioc)};
  tcp::acceptor acceptor{strand};
  net::steady_timer backoff_timer{strand};
  std::chrono::milliseconds backoff{0};
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  bool started = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      OnAccept(ec, std::move(s));
    });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      if (!OutOfDescriptors(ec)) return Accept();  // ECONNABORTED and the like: next one
      backoff = backoff.count() == 0 ? kAcceptBackoffMin : std::min(backoff * 2, kAcceptBackoffMax);
      if (shared->ShouldWarn())
        log::Warning("accept failed; backing off",
                     {{"error", ec.message()},
                      {"backoff_ms", static_cast<long long>(backoff.count())},
                      {"open_connections", shared->open.load()}});
      // Free a descriptor: drop the connection that has waited longest for a request.
      if (auto victim = shared->TakeOldestWaiting()) victim->Evict();
      backoff_timer.expires_after(backoff);
      backoff_timer.async_wait([this](beast::error_code ec) {
        if (!ec && acceptor.is_open()) Accept();
      });
      return;
    }
    backoff = std::chrono::milliseconds(0);
    if (shared->open.load() >= shared->cap) {
      auto victim = shared->TakeOldestWaiting();
      if (shared->ShouldWarn())
        log::Warning(
            "connection limit reached",
            {{"limit", shared->cap},
             {"action", victim ? "evicted the connection waiting longest" : "refused with 503"}});
      if (!victim) {
        Refuse(socket, shared->options.server_name);
        return Accept();
      }
      victim->Evict();
    }
    shared->open.fetch_add(1);
    std::make_shared<Session>(std::move(socket), shared)->Start();
    Accept();
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->handler = std::move(handler);
}

Server::~Server() { Stop(); }

Status Server::Start() {
  const ServerOptions& o = impl_->shared->options;
  beast::error_code ec;
  auto addr = net::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
  if (ec) return Status::Error(Code::kConfig, "invalid listen address '" + o.host + "'");
  tcp::endpoint ep(addr, o.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error(Code::kUnavailable, "cannot listen on " + o.host + ":" +
                                                 std::to_string(o.port) + ": " + ec.message());
  }
  struct rlimit rl;
  long fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0
                      ? (rl.rlim_cur == RLIM_INFINITY ? (1L << 30) : static_cast<long>(rl.rlim_cur))
                      : -1;
  impl_->shared->cap = EffectiveConnectionCap(o.max_connections, fd_limit);
  net::dispatch(impl_->strand, [this] { impl_->Accept(); });
  impl_->work.emplace(impl_->ioc.get_executor());
  int n = std::max(1, o.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->started = true;
  return Status::Ok();
}

uint16_t Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

int Server::connection_limit() const { return impl_->shared->cap; }

int Server::open_connections() const { return impl_->shared->open.load(); }

void Server::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
  if (impl_->started) {
    net::post(impl_->strand, [this] {
      beast::error_code ec;
      impl_->acceptor.close(ec);
      impl_->backoff_timer.cancel();
    });
    impl_->work.reset();
    impl_->ioc.stop();
  }
  for (auto& t : impl_->threads)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace herald::http
