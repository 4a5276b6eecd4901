// Helpers shared by the end-to-end benchmarks: run a child process and read its stdout, start a
// real `herald serve` (and `herald worker`s) on SQLite in a temp dir or on a PostgreSQL database
// and call its API, the stores a benchmark compares (Stores), start bench/fast_receiver, run wrk,
// percentiles. Header-only; benchmarks only. Temporary directories, waits, /proc figures and the
// throwaway PostgreSQL server are tests/support's (herald_test_support, herald_test_pg).
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/pg_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace herald::bench {

using Clock = std::chrono::steady_clock;

// A child process whose stdout is readable line by line (stderr goes to /dev/null).
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;

  static Child Spawn(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) {
    Child c;
    int fds[2];
    if (pipe(fds) != 0) return c;
    c.pid = fork();
    if (c.pid == 0) {
      dup2(fds[1], 1);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    c.out = fds[0];
    return c;
  }

  // Reads stdout until `re` matches (returns the match) or the deadline passes.
  bool WaitFor(const std::regex& re, std::smatch* m, std::chrono::seconds deadline) {
    auto end = Clock::now() + deadline;
    while (Clock::now() < end) {
      if (std::regex_search(buffer, *m, re)) return true;
      char buf[4096];
      ssize_t n = read(out, buf, sizeof buf);
      if (n <= 0) return std::regex_search(buffer, *m, re);
      buffer.append(buf, n);
    }
    return false;
  }

  void Stop(int sig = SIGTERM) {
    if (pid <= 0) return;
    kill(pid, sig);
    int status;
    waitpid(pid, &status, 0);
    pid = -1;
    if (out >= 0) close(out);
    out = -1;
  }

  // Peak resident set size (VmHWM) in KiB, 0 if unknown.
  long PeakRssKb() const { return testing::ProcessStatusKb(pid, "VmHWM"); }
};

// A running `herald serve` on 127.0.0.1, on `store` (a store URL; "" for a fresh SQLite store in
// its temp dir), and the `herald worker`s started on the same store.
struct Herald {
  Child child;
  int port = 0;
  std::string token;
  std::string store;
  std::vector<Child> workers;
  testing::TempDir dir{"bench"};

  bool Start(const std::map<std::string, std::string>& env, const std::string& store_url = "") {
    if (!dir.ok()) return false;
    store = store_url.empty() ? "sqlite://" + dir.File("herald.db") : store_url;
    child = Child::Spawn({HERALD_BIN, "serve", "--listen", "127.0.0.1:0", "--store", store}, env);
    std::smatch m;
    if (!child.WaitFor(std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/)"), &m,
                       std::chrono::seconds(20)))
      return false;
    port = std::stoi(m.str(1));
    if (std::regex_search(child.buffer, m, std::regex(R"(\n    ([0-9a-f]{40})\n)")))
      token = m.str(1);
    return !token.empty();
  }

  // Starts one `herald worker` on this Herald's store; false when it did not report ready.
  bool StartWorker(const std::map<std::string, std::string>& env) {
    workers.push_back(Child::Spawn({HERALD_BIN, "worker", "--store", store}, env));
    std::smatch m;
    return workers.back().WaitFor(std::regex(" delivering from "), &m, std::chrono::seconds(20));
  }

  void Stop() {
    for (auto& w : workers) w.Stop();
    workers.clear();
    child.Stop();
    dir.Remove();
  }

  // One API call; returns the body and sets *status.
  std::string Call(const std::string& method, const std::string& path, const std::string& body,
                   long* status = nullptr) const {
    CURL* c = curl_easy_init();
    std::string url = "http://127.0.0.1:" + std::to_string(port) + path, out;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    struct curl_slist* h = nullptr;
    h = curl_slist_append(h, ("Authorization: Token " + token).c_str());
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
          static_cast<std::string*>(ud)->append(p, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (status) *status = code;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return out;
  }

  // Number of tasks with `status` (from /api/status/), -1 on error.
  long long Count(const std::string& status) const {
    std::string body = Call("GET", "/api/status/", "");
    std::smatch m;
    if (std::regex_search(body, m, std::regex("\"" + status + "\":(\\d+)")))
      return std::stoll(m.str(1));
    return -1;
  }
};

// Starts bench/fast_receiver at `path` (answers after `delay_ms`, exits after `seconds`) as
// *rx; its port, 0 when it did not start within 10 s.
inline int StartFastReceiver(Child* rx, const std::string& path, int delay_ms, int seconds) {
  *rx = Child::Spawn({path, "--threads", "1", "--delay-ms", std::to_string(delay_ms), "--seconds",
                      std::to_string(seconds)});
  std::smatch m;
  if (!rx->WaitFor(std::regex(R"(PORT (\d+))"), &m, std::chrono::seconds(10))) return 0;
  return std::stoi(m.str(1));
}

// The stores a benchmark runs on, side by side: SQLite always, and PostgreSQL when the command
// line names one with --store postgresql://... (a server the benchmark may create databases on;
// each Herald gets a fresh database herald_bench_<pid>_<n>, dropped at the end) or --pg-server
// (a throwaway server started like the tests' tests/support/pg_server.h, as the `postgres`
// system user when run as root, with fsync and synchronous_commit on, so commits are as durable
// as SQLite's synchronous=FULL). Store 0 is SQLite, store 1 PostgreSQL.
class Stores {
 public:
  // Handles argv[*i] if it is --store URL or --pg-server (advancing *i past a value); false
  // when it is neither. A --store URL that is not PostgreSQL (sqlite://...) keeps SQLite only.
  bool Parse(int argc, char** argv, int* i) {
    const std::string a = argv[*i];
    if (a == "--pg-server") {
      pg_url_.clear();
      postgres_ = true;
      return true;
    }
    if (a != "--store" || *i + 1 >= argc) return false;
    const std::string url = argv[++*i];
    postgres_ = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
    pg_url_ = postgres_ ? url : "";
    return true;
  }

  size_t size() const { return postgres_ ? 2 : 1; }
  static const char* Name(size_t i) { return i == 0 ? "SQLite" : "PostgreSQL"; }

  // Sets *url to a fresh store of store `i` for a new Herald ("" for SQLite: the Herald's own
  // temp dir). False, with the reason on stderr, when the PostgreSQL server is not usable.
  bool Fresh(size_t i, std::string* url) {
    url->clear();
    if (i == 0) return true;
    if (!server_) {
      // PgServer reads these once, on first use.
      if (pg_url_.empty()) {
        unsetenv("HERALD_TEST_PG_URL");
        setenv("HERALD_TEST_PG_OPTIONS",
               "-c fsync=on -c synchronous_commit=on -c full_page_writes=on", 0);
      } else {
        setenv("HERALD_TEST_PG_URL", pg_url_.c_str(), 1);
      }
      server_ = &testing::PgServer::Get();
    }
    if (!server_->ok()) {
      fprintf(stderr, "PostgreSQL: %s\n", server_->error().c_str());
      return false;
    }
    std::string name = "herald_bench_" + std::to_string(getpid()) + "_" +
                       std::to_string(databases_.size()),
                error;
    *url = server_->CreateDatabase(name, &error);
    if (url->empty()) {
      fprintf(stderr, "PostgreSQL: cannot create database %s: %s\n", name.c_str(), error.c_str());
      return false;
    }
    databases_.push_back(name);
    return true;
  }

  // Drops the databases made by Fresh (call after their Heralds have stopped).
  ~Stores() {
    std::string error;
    for (const auto& db : databases_)
      server_->Exec("", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", &error);
  }

 private:
  bool postgres_ = false;
  std::string pg_url_;  // --store's URL ("" for the throwaway server)
  testing::PgServer* server_ = nullptr;
  std::vector<std::string> databases_;
};

// wrk's request rate (req/s) sending `method` (POST unless given) with `body` and `headers`
// ("Name: value" lines) to `url` with `connections` connections on `threads` threads for
// `seconds`; -1 when wrk is not installed or reported nothing.
inline double RunWrk(const std::string& url, int connections, int threads, int seconds,
                     const std::string& body, const std::vector<std::string>& headers,
                     const std::string& method = "POST") {
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) return -1;
  testing::TempDir dir("wrk");
  const std::string script = dir.File("post.lua");
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '\\' || c == '"') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  {
    std::ofstream lua(script);
    lua << "wrk.method = " << quoted(method) << "\n";
    if (!body.empty()) lua << "wrk.body = " << quoted(body) << "\n";
    for (const auto& h : headers) {
      const size_t colon = h.find(':');
      lua << "wrk.headers[" << quoted(h.substr(0, colon)) << "] = " << quoted(h.substr(colon + 2))
          << "\n";
    }
  }
  std::string cmd = "wrk -t" + std::to_string(threads) + " -c" + std::to_string(connections) +
                    " -d" + std::to_string(seconds) + "s -s " + script + " " + url + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  double rps = -1;
  char line[512];
  while (p && std::fgets(line, sizeof line, p))
    if (std::strncmp(line, "Requests/sec:", 13) == 0) rps = std::atof(line + 13);
  if (p) pclose(p);
  return rps;
}

// The p-quantile (0..1) of `v`, nearest rank; 0 when empty.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace herald::bench
