#include "support/pg_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "support/loopback.h"
#include "support/temp_dir.h"

namespace herald::testing {

namespace {

constexpr const char* kDefaultBinDir = "/usr/lib/postgresql/15/bin";
// How long the server may take to start or stop before the fixture gives up.
constexpr auto kStartStopDeadline = std::chrono::seconds(60);

std::string BinDir() {
  const char* env = getenv("PG_BIN_DIR");
  return env && *env ? env : kDefaultBinDir;
}

// HERALD_TEST_PG_OPTIONS (e.g. "-c fsync=on"), appended to the server's options so that it
// overrides the fixture's own (benchmarks use it for a durable server).
std::string ExtraOptions() {
  const char* env = getenv("HERALD_TEST_PG_OPTIONS");
  return env && *env ? std::string(" ") + env : std::string();
}

// `url` with its database (the path after host[:port]) replaced by `db`; any "?params" kept.
std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', start);
  const size_t end = query == std::string::npos ? url.size() : query;
  size_t slash = url.find('/', start);
  if (slash == std::string::npos || slash > end) slash = end;
  return url.substr(0, slash) + "/" + db + url.substr(end);
}

// Runs argv (as `user` via runuser when not empty), output appended to `log`; the exit status
// (-1 when it could not run).
int RunCommand(const std::vector<std::string>& args, const std::string& user,
               const std::string& log) {
  std::vector<std::string> full;
  if (!user.empty()) full = {"/usr/sbin/runuser", "-u", user, "--"};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE* f = fopen(log.c_str(), "a");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

PgServer& PgServer::Get() {
  static PgServer* server = [] {
    auto* s = new PgServer();
    s->Start();
    // Stopped at exit by the process that started it (a forked child's exit is not ours).
    atexit([] { Get().Stop(); });
    return s;
  }();
  return *server;
}

PgServer::PgServer() : owner_pid_(getpid()) {}

PgServer::~PgServer() { Stop(); }

void PgServer::Start() {
  if (const char* env = getenv("HERALD_TEST_PG_URL"); env && *env) {
    base_url_ = env;
    return;
  }
  const std::string bin = BinDir();
  for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
    if (access((bin + "/" + tool).c_str(), X_OK) != 0) {
      error_ = "PostgreSQL server binaries not found (" + bin + "/" + tool +
               "); install the 'postgresql' package (make test does) or set HERALD_TEST_PG_URL";
      return;
    }
  }
  dir_ = MakeTempDir("pg");
  if (dir_.empty()) {
    error_ = "cannot create a temporary directory for PostgreSQL";
    return;
  }
  std::string user;
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root: the cluster belongs to the postgres system user.
    struct passwd* pw = getpwnam("postgres");
    if (!pw) {
      error_ = "running as root but there is no 'postgres' system user to run PostgreSQL as";
      return;
    }
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "cannot give " + dir_ + " to the postgres user";
      return;
    }
    chmod(dir_.c_str(), 0700);
    user = "postgres";
  }
  const std::string data = dir_ + "/data";
  const std::string log = dir_ + "/setup.log";
  int rc = RunCommand({bin + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--no-locale", "--no-sync"},
                      user, log);
  if (rc != 0) {
    error_ = "initdb failed (" + std::to_string(rc) + "): " + ReadAll(log);
    return;
  }
  port_ = UnusedLoopbackPort();
  user_ = user;
  error_ = Launch();
}

std::string PgServer::Launch() {
  const std::string bin = BinDir();
  const std::string data = dir_ + "/data";
  const std::string log = dir_ + "/setup.log";
  const std::string opts = "-p " + std::to_string(port_) +
                           " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_ +
                           " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                           " -c max_connections=200" +
                           ExtraOptions();
  int rc = RunCommand({bin + "/pg_ctl", "start", "-D", data, "-w", "-t",
                       std::to_string(std::chrono::seconds(kStartStopDeadline).count()), "-l",
                       dir_ + "/server.log", "-o", opts},
                      user_, log);
  if (rc != 0) {
    return "PostgreSQL did not start (" + std::to_string(rc) + "): " + ReadAll(log) +
           ReadAll(dir_ + "/server.log");
  }
  std::ifstream pidfile(data + "/postmaster.pid");
  pid_ = 0;
  pidfile >> pid_;
  if (pid_ <= 0) return "PostgreSQL started but left no postmaster.pid";
  base_url_ = "postgresql://postgres@127.0.0.1:" + std::to_string(port_);
  return "";
}

void PgServer::Shutdown() {
  if (pid_ <= 0) return;
  kill(pid_, SIGINT);  // fast shutdown
  const auto end = std::chrono::steady_clock::now() + kStartStopDeadline;
  while (kill(pid_, 0) == 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (kill(pid_, 0) == 0) kill(pid_, SIGKILL);
  pid_ = 0;
}

bool PgServer::Pause(std::string* error) {
  if (!ok() || dir_.empty() || pid_ <= 0) {
    *error =
        ok() ? "only a server this test binary started (not HERALD_TEST_PG_URL) can pause" : error_;
    return false;
  }
  Shutdown();
  return true;
}

bool PgServer::Resume(std::string* error) {
  if (!ok() || dir_.empty()) {
    *error = ok() ? "only a server this test binary started can resume" : error_;
    return false;
  }
  if (pid_ > 0) return true;
  *error = Launch();
  return error->empty();
}

void PgServer::Stop() {
  if (getpid() != owner_pid_) return;
  Shutdown();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PgServer::Url(const std::string& name) const { return WithDatabase(base_url_, name); }

bool PgServer::Exec(const std::string& db, const std::string& sql, std::string* error) {
  if (!ok()) {
    *error = error_;
    return false;
  }
  PGconn* conn = PQconnectdb((db.empty() ? base_url_ : Url(db)).c_str());
  bool done = false;
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = PQerrorMessage(conn);
  } else {
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    done = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!done) *error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return done;
}

std::string PgServer::CreateDatabase(const std::string& name, std::string* error) {
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') {
      *error = "not a plain database name: " + name;
      return "";
    }
  }
  // Administration goes to the server's default database (the outside URL's own, or the
  // superuser's).
  auto exec = [&](const std::string& sql) { return Exec("", sql, error); };
  if (!exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")) return "";
  if (!exec("CREATE DATABASE " + name)) return "";
  return Url(name);
}

}  // namespace herald::testing
