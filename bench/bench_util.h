// Helpers shared by the end-to-end benchmarks: run a child process and read its stdout, start a
// real `herald serve` in a temp dir, and call its API. Header-only; benchmarks only.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

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
  long PeakRssKb() const {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
  }
};

// A running `herald serve` on 127.0.0.1 with a fresh SQLite store in a temp dir.
struct Herald {
  Child child;
  int port = 0;
  std::string token;
  std::string dir;

  bool Start(const std::map<std::string, std::string>& env) {
    dir = (std::filesystem::temp_directory_path() /
           ("herald-bench-" + std::to_string(getpid()) + "-" + std::to_string(rand())))
              .string();
    std::filesystem::create_directories(dir);
    child = Child::Spawn({HERALD_BIN, "serve", "--listen", "127.0.0.1:0", "--store",
                          "sqlite://" + dir + "/herald.db"},
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
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
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
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION,
                     +[](char* p, size_t s, size_t n, void* ud) {
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

}  // namespace herald::bench
