// Boost.Beast implementation of http::Server (callback style, one strand per connection).
#include <utility>  // Boost 1.74's asio headers use std::exchange without including it.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "http/http.h"

namespace herald::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ServerOptions& options, const Handler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void Start() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      Close();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      Response r = Response::Json(
          413, "{\"detail\": \"Request body exceeds the limit of " +
                   std::to_string(options_.max_body_bytes) + " bytes.\"}");
      r.close = true;
      Write(std::move(r));
      return;
    }
    if (ec) {
      Response r = Response::Json(400, "{\"detail\": \"Malformed HTTP request: " +
                                           ec.message() + "\"}");
      r.close = true;
      Write(std::move(r));
      return;
    }
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.version = msg.version();
    auto q = req.target.find('?');
    req.path = UrlDecode(std::string_view(req.target).substr(0, q));
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& f : msg) req.headers.emplace_back(f.name_string(), f.value());
    req.body = std::move(msg.body());
    req.remote = remote_;
    keep_alive_ = msg.keep_alive();
    stream_.expires_never();
    auto self = shared_from_this();
    handler_(std::move(req), [self](Response resp) {
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    });
  }

  void Write(Response r) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(bhttp::field::server, options_.server_name);
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->insert(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !r.close);
    res->prepare_payload();
    response_ = res;
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_write(stream_, *res,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this(),
                                                 !res->keep_alive()));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec || close) {
      Close();
      return;
    }
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const ServerOptions& options_;
  const Handler& handler_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<void> response_;
  std::string remote_;
  bool keep_alive_ = true;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  bool started = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(s), options, handler)->Start();
      if (acceptor.is_open()) Accept();
    });
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { Stop(); }

Status Server::Start() {
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->options.host == "localhost" ? "127.0.0.1"
                                                                         : impl_->options.host,
                                    ec);
  if (ec) return Status::Error("ListenError", "invalid listen address '" + impl_->options.host + "'");
  tcp::endpoint ep(addr, impl_->options.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error("ListenError", "cannot listen on " + impl_->options.host + ":" +
                                            std::to_string(impl_->options.port) + ": " +
                                            ec.message());
  }
  impl_->Accept();
  impl_->work.emplace(impl_->ioc.get_executor());
  int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->started = true;
  return Status::Ok();
}

uint16_t Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->cv.notify_all();
  if (impl_->started) {
    net::post(impl_->ioc, [this] {
      beast::error_code ec;
      impl_->acceptor.close(ec);
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
