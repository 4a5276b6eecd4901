#include "receiver/receiver.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "common/stop_signal.h"
#include "common/strings.h"
#include "http/http.h"
#include "value/json.h"

namespace herald::receiver {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string Reason(int status) {
  std::string_view phrase = http::ReasonPhrase(status);
  return phrase.empty() ? "Unknown" : std::string(phrase);
}

const std::string* FindHeader(const ReceivedRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (EqualsIgnoreCase(k, name)) return &v;
  return nullptr;
}

// Body bytes as printable text: invalid UTF-8 becomes U+FFFD, CRLF becomes LF, other control
// characters (which could drive the terminal) are shown as \xNN.
std::string PrintableText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
        continue;
      }
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
        out += "\\x";
        AppendHex(out, c, 2);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool valid = n != 0 && i + n <= s.size();
    uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; valid && k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (valid) {
      // Reject overlong forms, surrogates and out-of-range values.
      if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
          (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        valid = false;
    }
    if (valid) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string HttpDate(int64_t unix_seconds) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string FormatRequest(uint64_t n, std::string_view date, int status,
                          const ReceivedRequest& request, bool show_headers) {
  std::string out = "[" + std::to_string(n) + "] " + std::string(date) + " " + request.client_ip +
                    " \"" + request.request_line + "\" " + std::to_string(status) + " -\n";
  if (show_headers) {
    for (const auto& [k, v] : request.headers) out += k + ": " + v + "\n";
    out += "\n";
  }
  if (!request.has_content_length) {
    out += "(No body)\n";
  } else if (request.body.empty()) {
    out += "(Empty body)\n";
  } else {
    const std::string* type = FindHeader(request, "Content-Type");
    bool json = type && *type == "application/json";
    bool printed = false;
    if (json) {
      Result<Value> parsed = ParseJson(request.body);
      if (parsed.ok()) {
        JsonDumpOptions pretty;
        pretty.indent = 4;
        out += DumpJson(*parsed, pretty) + "\n";
        printed = true;
      } else {
        out += "(invalid JSON: " + parsed.status().message() + ")\n";
      }
    }
    if (!printed) out += PrintableText(request.body) + "\n";
  }
  out += "Completed request #" + std::to_string(n) + "\n";
  out += "------------\n";
  return out;
}

struct Receiver::Impl {
  Impl(ReceiverOptions o, std::ostream& out) : options(std::move(o)), out(out) {}
  ~Impl() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    ioc.stop();
    // Members below are destroyed first (acceptor, then ioc, whose pending handlers release the
    // connections); the state above stays valid for the connections' destructors.
  }

  ReceiverOptions options;
  std::ostream& out;
  uint16_t bound_port = 0;
  std::atomic<bool> stopped{false};
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> completed{0};
  std::mutex print_mu;
  uint64_t counter = 0;  // guarded by print_mu
  asio::io_context ioc{kReceiverThreads};
  tcp::acceptor acceptor{ioc};

  void Print(const ReceivedRequest& req) {
    std::lock_guard<std::mutex> lock(print_mu);
    ++counter;
    out << FormatRequest(counter, HttpDate(std::time(nullptr)), options.status, req,
                         options.show_headers);
    out.flush();
    completed.store(counter, std::memory_order_release);
  }

  void Accept();
};

namespace {

// One connection: read one request (bounded in size and time), print it, answer, close.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Receiver::Impl* owner)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), owner_(owner) {}

  ~Connection() { owner_->connections.fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    request_.client_ip = ec ? "-" : ep.address().to_string();
    ArmTimer(kRequestTimeout);
    ReadHead();
  }

 private:
  void ArmTimer(std::chrono::seconds d) {
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
      }
    });
  }

  void ReadHead() {
    asio::async_read_until(
        socket_, asio::dynamic_buffer(buf_, kMaxHeaderBytes), "\r\n\r\n",
        [self = shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec == asio::error::not_found) return self->Reject(431, "request head too large");
          if (ec) return self->Close();  // closed, timed out or reset: nothing to print
          self->OnHead(n);
        });
  }

  void OnHead(size_t head_len) {
    std::string_view head(buf_.data(), head_len - 4);
    size_t eol = head.find("\r\n");
    request_.request_line = std::string(head.substr(0, eol));
    // Request line: METHOD SP TARGET SP HTTP/x.y (Python's parse_request checks).
    const std::string& line = request_.request_line;
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (line.empty() || sp1 == std::string::npos || sp1 == sp2 ||
        line.compare(sp2 + 1, 5, "HTTP/") != 0)
      return Reject(400, "bad request line");
    for (char c : line)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return Reject(400, "bad request line");
    size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view h = head.substr(pos, end - pos);
      pos = end + 2;
      if (!h.empty() && (h[0] == ' ' || h[0] == '\t') && !request_.headers.empty()) {
        // Obsolete line folding: continue the previous value.
        request_.headers.back().second += " ";
        std::string_view cont = h;
        while (!cont.empty() && (cont[0] == ' ' || cont[0] == '\t')) cont.remove_prefix(1);
        request_.headers.back().second += std::string(cont);
        continue;
      }
      size_t colon = h.find(':');
      if (colon == std::string_view::npos || colon == 0) continue;
      std::string_view value = h.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      request_.headers.emplace_back(std::string(h.substr(0, colon)), std::string(value));
      if (request_.headers.size() > kMaxHeaders) return Reject(431, "too many headers");
    }
    buf_.erase(0, head_len);
    const std::string* cl = FindHeader(request_, "Content-Length");
    if (!cl) return Finish();
    request_.has_content_length = true;
    size_t length = 0;
    if (cl->empty() || cl->size() > 12) return Reject(400, "invalid Content-Length");
    for (char c : *cl) {
      if (c < '0' || c > '9') return Reject(400, "invalid Content-Length");
      length = length * 10 + static_cast<size_t>(c - '0');
    }
    if (length > kMaxBodyBytes) return Reject(413, "body larger than the limit");
    if (buf_.size() >= length) {
      request_.body = buf_.substr(0, length);
      return Finish();
    }
    want_ = length;
    ReadBody();
  }

  void ReadBody() {
    asio::async_read(socket_, asio::dynamic_buffer(buf_),
                     asio::transfer_exactly(want_ - buf_.size()),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->request_.body = std::move(self->buf_);
                       self->request_.body.resize(self->want_);
                       self->Finish();
                     });
  }

  void Finish() {
    owner_->Print(request_);
    Respond(owner_->options.status, "Webhook received!\n");
  }

  void Reject(int status, const char* why) {
    std::fprintf(stderr, "webhook_receiver: rejected request from %s: %s\n",
                 request_.client_ip.c_str(), why);
    Respond(status, std::string(Reason(status)) + "\n");
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();  // releases the timer's reference so the connection ends now
  }

  void Respond(int status, std::string body) {
    response_ = http::Serialize(http::Response::Text(status, std::move(body), "text/plain")
                                    .With("Date", HttpDate(std::time(nullptr))),
                                10, "herald-webhook-receiver");
    ArmTimer(kWriteTimeout);
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this()](boost::system::error_code, size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->Close();
                      });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Receiver::Impl* owner_;  // outlives every connection (see ~Impl)
  std::string buf_;
  size_t want_ = 0;
  ReceivedRequest request_;
  std::string response_;
};

}  // namespace

void Receiver::Impl::Accept() {
  acceptor.async_accept(
      asio::make_strand(ioc), [self = this](boost::system::error_code ec, tcp::socket socket) {
        if (self->stopped) return;
        if (!ec) {
          size_t now = self->connections.fetch_add(1, std::memory_order_relaxed) + 1;
          auto conn = std::make_shared<Connection>(std::move(socket), self);
          if (now <= kMaxConnections) conn->Start();
          // else: dropping `conn` closes the socket at once.
        }
        self->Accept();
      });
}

Receiver::Receiver(ReceiverOptions options, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::move(options), out)) {}

Receiver::~Receiver() { Stop(); }

Status Receiver::Start() {
  boost::system::error_code ec;
  asio::ip::address addr;
  if (impl_->options.host == "localhost") {
    addr = asio::ip::address_v4::loopback();
  } else {
    addr = asio::ip::make_address(impl_->options.host, ec);
    if (ec) {
      tcp::resolver resolver(impl_->ioc);
      auto results = resolver.resolve(impl_->options.host, "", ec);
      if (ec || results.empty())
        return Status::Error(Code::kConfig, "cannot resolve host '" + impl_->options.host + "'");
      addr = results.begin()->endpoint().address();
    }
  }
  tcp::endpoint ep(addr, impl_->options.port);
  auto& a = impl_->acceptor;
  if (a.open(ep.protocol(), ec) || a.set_option(tcp::acceptor::reuse_address(true), ec) ||
      a.bind(ep, ec) || a.listen(asio::socket_base::max_listen_connections, ec))
    return Status::Error(Code::kUnavailable, "cannot listen on " + impl_->options.host + ":" +
                                                 std::to_string(impl_->options.port) + ": " +
                                                 ec.message());
  impl_->bound_port = a.local_endpoint(ec).port();
  impl_->Accept();
  return Status::Ok();
}

uint16_t Receiver::port() const { return impl_->bound_port; }

void Receiver::Run() {
  if (!impl_->acceptor.is_open() || impl_->stopped) return;
  std::vector<std::thread> threads;
  for (int i = 1; i < kReceiverThreads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void Receiver::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->ioc.stop();
}

uint64_t Receiver::completed() const { return impl_->completed.load(std::memory_order_acquire); }

int RunWebhookReceiver(const ReceiverOptions& options) {
  BlockStopSignals();  // before any thread starts; a waiting thread takes them (stop_signal.h)
  Receiver receiver(options, std::cout);
  Status st = receiver.Start();
  if (!st.ok()) {
    std::cerr << "Error: " << st.message() << std::endl;
    return 1;
  }
  std::cout << "Listening on port http://localhost:" << receiver.port() << ". Stop with CONTROL-C."
            << std::endl;
  std::atomic<bool> stopping{false};
  std::thread waiter([&] {
    WaitForStopSignal();
    stopping = true;
    receiver.Stop();
  });
  receiver.Run();
  // Run ended without a stop signal: wake the waiter with one.
  if (!stopping) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::cout << "\nExiting..." << std::endl;
  return 0;
}

}  // namespace herald::receiver
