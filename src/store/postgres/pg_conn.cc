// The libpq layer of the PostgreSQL store; see pg_conn.h.
#include "store/postgres/pg_conn.h"

#include <cstdlib>
#include <cstring>

namespace herald::pg {

namespace {

constexpr Oid kByteaOid = 17;
// Statements cached per connection; beyond it (e.g. multi-row INSERTs of many sizes) statements
// run unprepared.
constexpr size_t kMaxPrepared = 256;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

int64_t Res::changed() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

bool Row::IsBytes(int col) const { return PQftype(r_, col) == kByteaOid; }

int64_t Row::Int(int col) const {
  const char* v = PQgetvalue(r_, row_, col);
  if (*v == 't') return 1;  // boolean columns
  if (*v == 'f') return 0;
  return std::strtoll(v, nullptr, 10);
}

std::string Row::Text(int col) const {
  const char* v = PQgetvalue(r_, row_, col);
  const int len = PQgetlength(r_, row_, col);
  if (!IsBytes(col)) return std::string(v, static_cast<size_t>(len));
  // bytea in text form is hex: "\x" then two digits per byte.
  std::string out;
  if (len >= 2 && v[0] == '\\' && v[1] == 'x') {
    out.reserve(static_cast<size_t>(len - 2) / 2);
    for (int i = 2; i + 1 < len; i += 2) {
      out.push_back(static_cast<char>(HexDigit(v[i]) << 4 | HexDigit(v[i + 1])));
    }
  }
  return out;
}

std::string_view Row::TextView(int col) const {
  if (!IsBytes(col)) {
    return std::string_view(PQgetvalue(r_, row_, col),
                            static_cast<size_t>(PQgetlength(r_, row_, col)));
  }
  decoded_.push_back(Text(col));
  return decoded_.back();
}

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ---- Conn ----

ConnectParams::ConnectParams(const std::string& conninfo) {
  // Defaults first: libpq lets later parameters (the expanded dbname) override earlier ones.
  keys = {"connect_timeout",     "keepalives",       "keepalives_idle",
          "keepalives_interval", "keepalives_count", "tcp_user_timeout",
          "application_name",    "options",          "dbname"};
  values = {
      std::to_string(kConnectTimeoutSeconds),
      "1",
      "30",
      "10",
      "3",
      std::to_string(kTcpUserTimeoutMs),
      "herald",
      "-c client_min_messages=warning -c statement_timeout=" + std::to_string(kStatementTimeoutMs) +
          " -c idle_in_transaction_session_timeout=" + std::to_string(2 * kStatementTimeoutMs),
      conninfo};
}

Result<std::unique_ptr<Conn>> Conn::Connect(const std::string& conninfo) {
  ConnectParams p(conninfo);
  std::vector<const char*> keys, values;
  for (size_t i = 0; i < p.keys.size(); ++i) {
    keys.push_back(p.keys[i].c_str());
    values.push_back(p.values[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (!c) return Status(Code::kUnavailable, "postgres: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(c));
    PQfinish(c);
    return Status(Code::kUnavailable, "cannot connect to PostgreSQL: " + msg);
  }
  // Server notices (and the notice of a session the server ended) are not the store's output:
  // errors reach the caller as Status.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Conn>(new Conn(c));
}

Conn::~Conn() { PQfinish(c_); }

Status Conn::Error(const PGresult* r, const char* what) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = Trim(r ? PQresultErrorMessage(r) : "");
  if (msg.empty()) msg = Trim(PQerrorMessage(c_));
  if (msg.empty()) msg = "no answer from the server";
  std::string text = std::string("postgres: ") + what + ": " + msg;
  if (state && std::strcmp(state, "23505") == 0) return Status(Code::kConflict, text);
  if (state && std::strncmp(state, "22", 2) == 0) return Status(Code::kInvalidArgument, text);
  return Status(Code::kUnavailable, text);
}

Result<Res> Conn::Check(PGresult* r, const char* what) {
  Res res(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
  return Error(r, what);
}

Result<Res> Conn::Exec(const std::string& raw_sql, const Params& params, const char* what) {
  const std::string sql =
      raw_sql.find('?') != std::string::npos ? NumberPlaceholders(raw_sql) : raw_sql;
  const size_t n = params.size();
  std::vector<const char*> values(n);
  std::vector<int> lengths(n), formats = params.formats();
  for (size_t i = 0; i < n; ++i) {
    const auto& v = params.values()[i];
    values[i] = v ? v->data() : nullptr;
    lengths[i] = v ? static_cast<int>(v->size()) : 0;
  }
  auto it = prepared_.find(sql);
  if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
    std::string name = "h" + std::to_string(prepared_.size());
    auto prep = Check(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr), what);
    if (!prep.ok()) return prep.status();
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  PGresult* r = it != prepared_.end()
                    ? PQexecPrepared(c_, it->second.c_str(), static_cast<int>(n), values.data(),
                                     lengths.data(), formats.data(), 0)
                    : PQexecParams(c_, sql.c_str(), static_cast<int>(n), nullptr, values.data(),
                                   lengths.data(), formats.data(), 0);
  return Check(r, what);
}

Status Conn::Run(const std::string& sql, const Params& params, const char* what) {
  auto r = Exec(sql, params, what);
  return r.ok() ? Status::Ok() : r.status();
}

Result<Res> Conn::Simple(const std::string& sql, const char* what) {
  return Check(PQexec(c_, sql.c_str()), what);
}

// ---- Pool ----

Result<std::unique_ptr<Conn>> Pool::Take() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool free = cv_.wait_for(lock, kPoolWait,
                                   [this] { return closed_ || !idle_.empty() || open_ < size_; });
    if (closed_) return Status(Code::kUnavailable, "the store is closed");
    if (!free) {
      return Status(Code::kUnavailable, "no free PostgreSQL connection within " +
                                            std::to_string(kPoolWait.count()) +
                                            " s (store.pool_size " + std::to_string(size_) + ")");
    }
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->broken()) return conn;
      --open_;
    }
    ++open_;  // reserve a slot, connect outside the lock
  }
  auto conn = Conn::Connect(conninfo_);
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return conn;
}

void Pool::Return(std::unique_ptr<Conn> conn) {
  std::vector<std::unique_ptr<Conn>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn && !conn->broken() && !closed_) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
      if (conn && conn->broken()) {
        // A lost connection usually means the server restarted or failed over: the idle ones
        // are gone too, and the next Take should not try them one by one.
        open_ -= static_cast<int>(idle_.size());
        dropped.swap(idle_);
      }
    }
  }
  cv_.notify_all();
  // Broken or surplus connections close here, outside the lock.
}

void Pool::Close() {
  std::vector<std::unique_ptr<Conn>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
  }
  cv_.notify_all();
}

}  // namespace herald::pg
