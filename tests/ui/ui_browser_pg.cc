// Runs the browser test of the web UI (ui_test.mjs) with `herald serve` on PostgreSQL: starts the
// throwaway server of tests/support/pg_server.h (as the `postgres` system user when run as root),
// creates a fresh database on it, runs `NODE SCRIPT HERALD --store URL` and exits with the
// script's exit code (77: skipped). The server is stopped by its PID and its directory removed
// when this process exits, whether the script passed, failed or had to be killed.
//
// The script is bounded by its own watchdog; this runner gives it kDeadline more and then kills
// it, so it always returns (and stops the server) before CTest's TIMEOUT. SIGTERM and SIGINT are
// passed on to the script, which then cleans up, and the runner still stops the server.
//
//   ui_browser_pg NODE SCRIPT HERALD
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "support/pg_server.h"

namespace {

// Longer than ui_test.mjs's watchdog (240 s), shorter than the CTest TIMEOUT (330 s).
constexpr auto kDeadline = std::chrono::seconds(290);

// The exit code of a process ended with `status` (128 + signal when killed).
int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

// Set by SIGTERM/SIGINT while the server starts (afterwards they are taken by sigtimedwait).
volatile sig_atomic_t g_stop_requested = 0;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s NODE SCRIPT HERALD\n", argv[0]);
    return 2;
  }
  struct sigaction sa = {};
  sa.sa_handler = [](int) { g_stop_requested = 1; };
  sa.sa_flags = SA_RESTART;  // the server's setup keeps waiting for initdb and pg_ctl
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  herald::testing::PgServer& pg = herald::testing::PgServer::Get();
  if (!pg.ok()) {
    fprintf(stderr, "[ui-pg] FAIL: %s\n", pg.error().c_str());
    return 1;
  }
  std::string error;
  const std::string url = pg.CreateDatabase("herald_ui", &error);
  if (g_stop_requested) return 1;
  if (url.empty()) {
    fprintf(stderr, "[ui-pg] FAIL: cannot create the database: %s\n", error.c_str());
    return 1;
  }
  fprintf(stderr, "[ui-pg] herald serve on %s\n", url.c_str());

  // The script's end and our stop signals arrive through sigtimedwait, never asynchronously.
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, &old);
  const pid_t child = fork();
  if (child < 0) {
    perror("[ui-pg] fork");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    std::vector<std::string> args = {argv[1], argv[2], argv[3], "--store", url};
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }

  if (g_stop_requested) kill(child, SIGTERM);
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  int status = 0;
  bool killed = false;
  for (;;) {  // ends when the script has exited: at the latest kDeadline, then its SIGKILL
    if (waitpid(child, &status, WNOHANG) == child) break;
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::seconds(0)) {
      if (!killed) fprintf(stderr, "[ui-pg] FAIL: the script did not end in time; killed\n");
      kill(child, SIGKILL);
      killed = true;
      waitpid(child, &status, 0);
      break;
    }
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    timespec timeout = {
        static_cast<time_t>(secs.count()),
        static_cast<long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count())};
    siginfo_t info;
    const int sig = sigtimedwait(&set, &info, &timeout);
    if (sig == SIGTERM || sig == SIGINT) kill(child, SIGTERM);  // it cleans up and exits
  }
  // Returning runs PgServer's exit handler: the server is stopped and its directory removed.
  return killed ? 1 : ExitCode(status);
}
