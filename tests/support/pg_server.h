// A throwaway PostgreSQL server for a test binary, so the PostgreSQL store's tests run against
// the real database over loopback.
//
// PgServer::Get() starts one server the first time it is called: a fresh temporary directory
// (owned by the `postgres` system user when the tests run as root, since PostgreSQL refuses to
// run as root), `initdb` with trust authentication, then the server on a free 127.0.0.1 port with
// its Unix socket in that directory and fsync off (HERALD_TEST_PG_OPTIONS, e.g. "-c fsync=on",
// adds server options after the fixture's). It is stopped by its PID (fast shutdown) and
// the directory removed when the test binary exits. When the environment variable
// HERALD_TEST_PG_URL is set (a libpq URL of a server the tests may create databases on), that
// server is used instead and nothing is started.
//
// When the PostgreSQL server binaries are missing (PG_BIN_DIR, default
// /usr/lib/postgresql/15/bin), ok() is false and error() says so: the tests using it fail with
// that message rather than skip (`make test` installs the `postgresql` package).
// Thread-safe.
#pragma once

#include <string>

namespace herald::testing {

class PgServer {
 public:
  // The binary's server, started on first use. Never null; check ok().
  static PgServer& Get();

  bool ok() const { return error_.empty(); }
  // Why the server is not available ("" when ok()).
  const std::string& error() const { return error_; }

  // Creates the database `name` (dropping any database of that name first) and returns its
  // URL, e.g. "postgresql://postgres@127.0.0.1:PORT/NAME"; "" with *error set on failure.
  // `name` must be a plain identifier (letters, digits, '_').
  std::string CreateDatabase(const std::string& name, std::string* error);

  // The URL of database `name` on this server (whether or not it exists).
  std::string Url(const std::string& name) const;

  // Runs one SQL command in database `db` ("" for the server's default database) as the
  // superuser; false with *error on failure.
  bool Exec(const std::string& db, const std::string& sql, std::string* error);

  // Stops the server (fast shutdown, data kept) until Resume() starts it again on the same port,
  // so tests can see how Herald behaves while its database is down. Only for a server this
  // binary started; false with *error otherwise (or when it cannot start again).
  bool Pause(std::string* error);
  bool Resume(std::string* error);

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

 private:
  PgServer();
  void Start();
  // Starts the postmaster on dir_/data and port_ as user_; "" or why it did not start.
  std::string Launch();
  // Stops the postmaster we started, if it runs (bounded wait, then SIGKILL).
  void Shutdown();
  void Stop();

  std::string error_;
  std::string dir_;       // the temporary directory we own ("" when using an outside server)
  std::string base_url_;  // "postgresql://user@host:port" (no database), or the env URL
  std::string user_;      // the system user the server runs as ("" for ourselves)
  int port_ = 0;          // its port on 127.0.0.1
  int pid_ = 0;           // the postmaster we started
  int owner_pid_ = 0;     // the process that started it (forked children never stop it)
};

}  // namespace herald::testing
