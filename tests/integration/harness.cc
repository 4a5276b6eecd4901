#include "harness.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <regex>

#include "support/files.h"
#include "support/loopback.h"
#include "value/json.h"

namespace herald::testing {

namespace {

// How long a started process may take to say it is ready.
constexpr std::chrono::seconds kStartDeadline{30};

// Runs the herald binary with `args` and `env` (RLIMIT_NOFILE = `max_open_files` when not 0),
// stdout and stderr to the given descriptors, stdin from /dev/null.
pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int out_fd, int err_fd, int max_open_files = 0) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (max_open_files > 0) {
      struct rlimit rl = {static_cast<rlim_t>(max_open_files), static_cast<rlim_t>(max_open_files)};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = HERALD_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Sends SIGTERM to `pid` and reaps it (SIGKILL after 20 s); returns the exit code, or minus
// the signal that ended it.
int TerminateAndWait(pid_t pid) {
  kill(pid, SIGTERM);
  int status = 0;
  if (!WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(20))) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// SIGKILL and reap.
void KillAndWait(pid_t pid) {
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
}

// Whether child *pid has exited; reaps it and sets *pid to -1 when it has.
bool Exited(pid_t* pid) {
  int status;
  if (*pid > 0 && waitpid(*pid, &status, WNOHANG) == *pid) *pid = -1;
  return *pid <= 0;
}

// Waits (kStartDeadline) until `ready()` or the child *pid exits; true when it is ready.
bool WaitReady(pid_t* pid, const std::function<bool()>& ready) {
  bool is_ready = false;
  WaitFor([&] { return (is_ready = ready()) || Exited(pid); }, kStartDeadline);
  return is_ready && *pid > 0;
}

}  // namespace

RunResult RunHerald(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, std::chrono::seconds timeout) {
  TempDir tmp("run");
  std::string out_path = tmp.File("out"), err_path = tmp.File("err");
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = Spawn(args, env, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  RunResult r;
  int status = 0;
  if (!WaitFor([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    r.err = "timed out\n";
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  r.out = ReadFile(out_path);
  r.err += ReadFile(err_path);
  return r;
}

Server::Server(const std::string& dir, std::vector<std::string> extra,
               std::map<std::string, std::string> env, int max_open_files)
    : dir_(dir) {
  err_path_ = dir + "/server.err";
  int fds[2];
  if (pipe(fds) != 0) return;
  int err_fd = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  store_url_ = "sqlite://" + dir + "/herald.db";
  for (size_t i = 0; i + 1 < extra.size(); ++i) {
    if (extra[i] == "--store") store_url_ = extra[i + 1];
  }
  std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--store", store_url_};
  for (size_t i = 0; i < extra.size(); ++i) {
    if (extra[i] == "--store" && i + 1 < extra.size()) {
      ++i;
      continue;
    }
    args.push_back(extra[i]);
  }
  pid_ = Spawn(args, env, fds[1], err_fd, max_open_files);
  close(fds[1]);
  close(err_fd);
  out_fd_ = fds[0];
  reader_ = std::thread([this] {
    char buf[4096];
    while (true) {
      ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard<std::mutex> lock(mu_);
      out_.append(buf, n);
    }
  });
  std::regex listen_re(R"(listening on http://127\.0\.0\.1:(\d+)/)");
  std::regex token_re(R"(\n    ([0-9a-f]{40})\n)");
  WaitReady(&pid_, [&] {
    std::string o = Stdout();
    std::smatch m;
    if (!std::regex_search(o, m, listen_re)) return false;
    port_ = std::stoi(m.str(1));
    if (std::regex_search(o, m, token_re)) admin_token_ = m.str(1);
    return true;
  });
}

bool Server::alive() { return !Exited(&pid_); }

Server::~Server() {
  if (pid_ > 0) Kill();
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
}

std::string Server::Stdout() {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

std::string Server::Stderr() { return ReadFile(err_path_); }

int Server::Stop() {
  if (pid_ <= 0) return -1;
  int code = TerminateAndWait(pid_);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return code;
}

void Server::Kill() {
  if (pid_ <= 0) return;
  KillAndWait(pid_);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

bool Server::WaitForLog(const std::string& needle, std::chrono::milliseconds deadline) {
  return WaitFor([&] { return Stderr().find(needle) != std::string::npos; }, deadline);
}

Worker::Worker(const std::string& dir, const std::string& store_url,
               std::map<std::string, std::string> env) {
  out_path_ = dir + "/worker.out";
  err_path_ = dir + "/worker.err";
  int out_fd = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_ = Spawn({"worker", "--store", store_url}, env, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  started_ = WaitReady(
      &pid_, [&] { return ReadFile(out_path_).find(" delivering from ") != std::string::npos; });
}

Worker::~Worker() { Kill(); }

int Worker::Stop() {
  if (pid_ <= 0) return -1;
  int code = TerminateAndWait(pid_);
  pid_ = -1;
  return code;
}

void Worker::Kill() {
  if (pid_ <= 0) return;
  KillAndWait(pid_);
  pid_ = -1;
}

std::string Worker::Stderr() { return ReadFile(err_path_); }

WebhookReceiverProcess::WebhookReceiverProcess(const std::string& dir,
                                               std::vector<std::string> extra) {
  out_path_ = dir + "/webhook_receiver.out";
  int out_fd = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {"webhook_receiver", "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = Spawn(args, {}, out_fd, out_fd);
  close(out_fd);
  std::regex listen_re(R"(Listening on port http://localhost:(\d+)\.)");
  WaitReady(&pid_, [&] {
    std::string o = ReadFile(out_path_);
    std::smatch m;
    if (!std::regex_search(o, m, listen_re)) return false;
    port_ = std::stoi(m.str(1));
    return true;
  });
  if (pid_ <= 0) port_ = 0;
}

WebhookReceiverProcess::~WebhookReceiverProcess() {
  if (pid_ > 0) TerminateAndWait(pid_);
}

std::string WebhookReceiverProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string WebhookReceiverProcess::Stdout() { return ReadFile(out_path_); }

const Value& HttpResult::json() const {
  if (!parsed_) {
    auto v = ParseJson(body);
    json_ = v.ok() ? *v : Value();
    parsed_ = true;
  }
  return json_;
}

namespace {
size_t WriteBody(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}
size_t WriteHeader(char* p, size_t s, size_t n, void* ud) {
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(tolower(c));
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    (*static_cast<std::map<std::string, std::string>*>(ud))[k] = v;
  }
  return s * n;
}
}  // namespace

HttpResult Http(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers, std::chrono::seconds timeout) {
  HttpResult r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  struct curl_slist* hl = nullptr;
  hl = curl_slist_append(hl, "Expect:");
  for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  r.status = static_cast<int>(code);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  return r;
}

HttpResult Api(const std::string& method, const std::string& url, const std::string& token,
               const std::string& body, const std::string& content_type) {
  std::vector<std::string> h;
  if (!token.empty()) h.push_back("Authorization: Token " + token);
  if (!content_type.empty()) h.push_back("Content-Type: " + content_type);
  return Http(method, url, body, h);
}

int64_t CreateWebhookAndRule(const std::string& base, const std::string& token,
                             const std::string& webhook, const std::string& rule_name,
                             const std::string& object_type, const std::string& rule_extra) {
  auto w = Api("POST", base + "/api/extras/webhooks/", token, webhook);
  const Value* id = w.json().get("id");
  if (w.status != 201 || !id) {
    ADD_FAILURE() << "webhook refused: " << w.status << " " << w.body;
    return 0;
  }
  auto r = Api("POST", base + "/api/extras/event-rules/", token,
               R"({"name": )" + DumpJsonCompact(Value(rule_name)) + R"(, "object_types": [)" +
                   DumpJsonCompact(Value(object_type)) +
                   R"(], "event_types": ["object_created"], "action_object_id": )" +
                   std::to_string(id->as_int()) + rule_extra + "}");
  if (r.status != 201) {
    ADD_FAILURE() << "event rule refused: " << r.status << " " << r.body;
    return 0;
  }
  return id->as_int();
}

UiSession SignInToUi(const std::string& base, const std::string& token) {
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  auto login = Http("POST", base + "/login", "token=" + token + "&next=%2F", {form});
  std::string cookie = login.headers["set-cookie"];
  cookie = cookie.substr(0, cookie.find(';'));
  if (login.status != 303 || cookie.empty()) {
    ADD_FAILURE() << "sign-in refused: " << login.status << " " << login.body.substr(0, 400);
    return {};
  }
  auto page = Http("GET", base + "/", "", {"Cookie: " + cookie});
  const std::string marker = "name=\"csrf\" value=\"";
  size_t at = page.body.find(marker);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no CSRF token in the form: " << page.body.substr(0, 400);
    return {};
  }
  return {cookie, page.body.substr(at + marker.size(), 64)};
}

void ExpectSignedIn(const std::string& base, const UiSession& ui) {
  auto page = Http("GET", base + "/", "", {"Cookie: " + ui.cookie});
  EXPECT_EQ(page.status, 200) << page.body.substr(0, 400);
  EXPECT_NE(page.body.find("name=\"csrf\" value=\"" + ui.csrf + "\""), std::string::npos)
      << page.body.substr(0, 400);
}

std::unique_ptr<Server> NodesTest::StartNode(bool delivery_workers) {
  std::map<std::string, std::string> env;
  if (!delivery_workers) env["HERALD_DELIVERY_WORKERS"] = "false";
  auto s = std::make_unique<Server>(dir_.path(), store_args_, env);
  EXPECT_TRUE(s->started()) << s->Stderr();
  if (token_.empty()) token_ = s->admin_token();
  return s;
}

}  // namespace herald::testing

#include <openssl/hmac.h>
#include <strings.h>

namespace herald::testing {

std::string Receiver::Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

Receiver::Receiver() {
  http::ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  server_ = std::make_unique<http::Server>(o, [this](http::Request&& req, http::Responder respond) {
    int status, delay;
    std::string body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back({req.method, req.target, req.body, req.headers});
      status = status_;
      delay = delay_ms_;
      body = body_;
      if (fail_next_ > 0) {
        --fail_next_;
        status = fail_status_;
      }
    }
    auto answer = [status, body, respond] {
      respond(http::Response::Text(status, body, "text/plain"));
    };
    if (delay > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      delayed_.emplace_back([answer, delay] {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        answer();
      });
    } else {
      answer();
    }
  });
  auto st = server_->Start();
  (void)st;
}

Receiver::~Receiver() { Stop(); }
void Receiver::Stop() {
  std::vector<std::thread> delayed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    delayed.swap(delayed_);
  }
  for (auto& t : delayed) t.join();
  if (server_) server_->Stop();
}
int Receiver::port() const { return server_->port(); }
std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}
void Receiver::Respond(int status, std::string body, int delay_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  status_ = status;
  body_ = std::move(body);
  delay_ms_ = delay_ms;
}
void Receiver::FailNext(int n, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  fail_status_ = status;
}
std::vector<Receiver::Request> Receiver::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::string FreshEvent(const std::string& event) {
  static std::atomic<long long> n{0};
  size_t brace = event.find('{');
  if (brace == std::string::npos) return event;
  return event.substr(0, brace + 1) + R"("id": "fresh-)" + std::to_string(++n) + R"(", )" +
         event.substr(brace + 1);
}

std::string HmacSha512Hex(const std::string& key, const std::string& body) {
  unsigned char md[64];
  unsigned int len = 0;
  HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace herald::testing

#include <poll.h>
#include <sys/socket.h>

namespace herald::testing {

RawReceiver::RawReceiver(Mode mode, int delay_ms) : delay_ms_(delay_ms), mode_(Mode::kDown) {
  uint16_t port = 0;
  listen_fd_ = BindLoopback("127.0.0.1", &port);
  port_ = port;
  SetMode(mode);
}

RawReceiver::~RawReceiver() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns.swap(conns_);
  }
  for (auto& t : conns) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::string RawReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void RawReceiver::SetMode(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  if (mode == Mode::kDown) return;  // cannot stop listening once started
  mode_ = mode;
  if (!listening_ && listen_fd_ >= 0 && listen(listen_fd_, 512) == 0) {
    listening_ = true;
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
}

std::vector<RawReceiver::Hit> RawReceiver::hits() {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

size_t RawReceiver::CountFor(const std::string& task) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& h : hits_) n += h.task == task ? 1 : 0;
  return n;
}

void RawReceiver::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    conns_.emplace_back([this, fd] { Serve(fd); });
  }
}

void RawReceiver::Serve(int fd) {
  std::string buf;
  char chunk[8192];
  // Reads more bytes into buf; false on EOF, error or stop.
  auto fill = [&]() -> bool {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 50);
      if (r == 0) continue;
      if (r < 0) return false;
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  };
  auto header = [](const std::string& head, const std::string& name) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(tolower(c));
    auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return std::string();
    auto start = at + 3 + name.size();
    auto end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
  };
  bool open = true;
  while (open && !stop_) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    std::string head = buf.substr(0, end + 2);
    size_t body_len = 0;
    std::string cl = header(head, "content-length");
    if (!cl.empty()) body_len = static_cast<size_t>(std::stoul(cl));
    while (buf.size() < end + 4 + body_len) {
      if (!fill()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    buf.erase(0, end + 4 + body_len);
    Mode mode;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hits_.push_back({header(head, "x-herald-task"), header(head, "x-gen")});
      mode = mode_;
    }
    if (mode == Mode::kSilent) {
      // Never answer: hold the connection until the client closes it or the test ends.
      while (fill()) {
      }
      break;
    }
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    static const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    if (write(fd, kOk.data(), kOk.size()) != static_cast<ssize_t>(kOk.size())) break;
  }
  close(fd);
}

}  // namespace herald::testing
