// A thin libpq layer for the PostgreSQL store: statement parameters, result rows that the shared
// row readers (store/rows.h, the SqlRow concept) can map, one connection with a statement cache,
// and a small bounded pool of them.
//
// SQL may use SQLite-style `?` placeholders (numbered $1, $2, ... in order, outside quoted
// text) or PostgreSQL's own `$n`, never both in one statement. Parameters go as text, except
// those bound with BindBytes (bytea, sent as raw bytes). A bytea column reads back as its raw
// bytes through Text/TextView. Errors become Status: kConflict for a unique violation,
// kInvalidArgument for bad data (SQLSTATE class 22, e.g. a NUL byte in text), kUnavailable for
// everything else (connection lost, timeouts, server errors), each naming what failed.
// A Conn is used by one thread at a time; Pool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace herald::pg {

// The parameters of one statement, in order.
class Params {
 public:
  Params& Bind(int64_t v) { return Add(std::to_string(v), 0); }
  Params& Bind(int v) { return Bind(static_cast<int64_t>(v)); }
  Params& Bind(bool v) { return Bind(static_cast<int64_t>(v ? 1 : 0)); }
  Params& Bind(std::string_view v) { return Add(std::string(v), 0); }
  Params& Bind(const std::string& v) { return Add(v, 0); }
  Params& Bind(const char* v) { return Add(v, 0); }
  Params& BindNull() {
    values_.emplace_back();
    formats_.push_back(0);
    return *this;
  }
  template <typename T>
  Params& Bind(const std::optional<T>& v) {
    return v ? Bind(*v) : BindNull();
  }
  // A bytea parameter: any bytes, NUL included.
  Params& BindBytes(const std::string& v) { return Add(v, 1); }

  size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  const std::vector<int>& formats() const { return formats_; }

 private:
  Params& Add(std::string v, int format) {
    values_.emplace_back(std::move(v));
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
};

// A query's result (owns the PGresult).
class Res {
 public:
  Res() = default;
  explicit Res(PGresult* r) : r_(r, PQclear) {}
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t changed() const;
  const PGresult* get() const { return r_.get(); }

 private:
  std::shared_ptr<PGresult> r_;
};

// Row `row` of a result: the accessors of the SqlRow concept (store/rows.h).
class Row {
 public:
  Row(const Res& res, int row) : r_(res.get()), row_(row) {}
  bool IsNull(int col) const { return PQgetisnull(r_, row_, col) != 0; }
  int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;

 private:
  bool IsBytes(int col) const;
  const PGresult* r_;
  int row_;
  mutable std::deque<std::string> decoded_;  // bytea values handed out as views
};

// `sql` with each `?` outside quotes replaced by $1, $2, ...
std::string NumberPlaceholders(std::string_view sql);

class Conn {
 public:
  // Connects with `conninfo` (a URL or key=value string) and the store's defaults (timeouts,
  // keepalives), which parameters in `conninfo` override. kUnavailable when it fails; the
  // message never contains the password.
  static Result<std::unique_ptr<Conn>> Connect(const std::string& conninfo);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one statement (prepared once per connection and cached); `what` names it in errors.
  Result<Res> Exec(const std::string& sql, const Params& params = {}, const char* what = "query");
  // Exec for statements whose rows are not needed.
  Status Run(const std::string& sql, const Params& params = {}, const char* what = "statement");
  // Runs `sql` (one or more statements, no parameters) with the simple protocol; the result
  // of the last one.
  Result<Res> Simple(const std::string& sql, const char* what = "statement");
  // Whether the connection is lost (it is then dropped, not pooled).
  bool broken() const { return PQstatus(c_) != CONNECTION_OK; }
  PGconn* raw() { return c_; }

 private:
  explicit Conn(PGconn* c) : c_(c) {}
  Status Error(const PGresult* r, const char* what) const;
  Result<Res> Check(PGresult* r, const char* what);

  PGconn* c_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

// The libpq keywords and values the store connects with, `conninfo` last so it overrides them.
struct ConnectParams {
  std::vector<std::string> keys, values;
  explicit ConnectParams(const std::string& conninfo);
};

// Up to `size` connections to one database, opened on demand and kept for reuse.
class Pool {
 public:
  Pool(std::string conninfo, int size)
      : conninfo_(std::move(conninfo)), size_(size < 1 ? 1 : size) {}

  // A connection (an idle one, or a new one while fewer than `size` are open); waits for one to
  // be returned otherwise. kUnavailable when the pool is closed, a connection cannot be opened,
  // or none came back within kPoolWait.
  Result<std::unique_ptr<Conn>> Take();
  // Gives a connection back; a broken one is closed instead, and with it the idle ones (the
  // server probably restarted).
  void Return(std::unique_ptr<Conn> conn);
  // Closes idle connections and refuses further Takes. Idempotent.
  void Close();

 private:
  const std::string conninfo_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;  // connections opened and not yet closed (idle or taken)
  bool closed_ = false;
};

// How long Take waits for a busy pool.
inline constexpr std::chrono::seconds kPoolWait{30};
// Connection defaults (each can be overridden in the URL): seconds to connect, milliseconds a
// statement may run, milliseconds unacknowledged data may wait on the socket.
inline constexpr int kConnectTimeoutSeconds = 5;
inline constexpr int kStatementTimeoutMs = 30000;
inline constexpr int kTcpUserTimeoutMs = 15000;

}  // namespace herald::pg
