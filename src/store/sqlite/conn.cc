#include "store/sqlite/conn.h"

namespace herald::sqlite {

namespace {
// How long a connection waits for a lock held by another connection (another process, or
// a checkpoint) before failing with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 10000;
}  // namespace

Status Error(sqlite3* db, std::string_view what) {
  std::string msg(what);
  if (db != nullptr) {
    msg += ": ";
    msg += sqlite3_errmsg(db);
  }
  return Status(Code::kUnavailable, std::move(msg));
}

Result<std::unique_ptr<Conn>> Conn::Open(const std::string& path, int cache_kib) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status st = sqlite::Error(db, "cannot open " + path);
    sqlite3_close(db);
    return st;
  }
  std::unique_ptr<Conn> conn(new Conn(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  std::string pragmas =
      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
      "PRAGMA cache_size=-" +
      std::to_string(cache_kib) + ";";
  HERALD_RETURN_IF_ERROR(conn->Exec(pragmas.c_str()));
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Conn::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status(Code::kUnavailable, msg);
  }
  return Status::Ok();
}

Result<Stmt> Conn::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Error("cannot prepare statement");
  }
  cache_.emplace(sql, stmt);
  return Stmt(stmt);
}

Status Conn::Run(const std::string& sql) {
  auto st = Prepare(sql);
  if (!st.ok()) return st.status();
  int rc = st->Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(sql);
  return Status::Ok();
}

}  // namespace herald::sqlite
