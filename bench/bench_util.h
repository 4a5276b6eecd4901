// Helpers shared by the end-to-end benchmarks: run a child process and read its stdout, start a
// real `herald serve` in a temp dir and call its API, start bench/fast_receiver, percentiles.
// Header-only; benchmarks only. Temporary directories, waits and /proc figures are
// tests/support's (herald_test_support).
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

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

// A running `herald serve` on 127.0.0.1 with a fresh SQLite store in a temp dir.
struct Herald {
  Child child;
  int port = 0;
  std::string token;
  testing::TempDir dir{"bench"};

  bool Start(const std::map<std::string, std::string>& env) {
    if (!dir.ok()) return false;
    child = Child::Spawn({HERALD_BIN, "serve", "--listen", "127.0.0.1:0", "--store",
                          "sqlite://" + dir.File("herald.db")},
                         env);
    std::smatch m;
    if (!child.WaitFor(std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/)"), &m,
                       std::chrono::seconds(20)))
      return false;
    port = std::stoi(m.str(1));
    if (std::regex_search(child.buffer, m, std::regex(R"(\n    ([0-9a-f]{40})\n)")))
      token = m.str(1);
    return !token.empty();
  }

  void Stop() {
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

// The p-quantile (0..1) of `v`, nearest rank; 0 when empty.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace herald::bench
