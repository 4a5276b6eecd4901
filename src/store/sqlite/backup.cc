#include "store/sqlite/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/sqlite/conn.h"
#include "store/sqlite/file_mode.h"
#include "store/sqlite/schema.h"

namespace herald::sqlite {

namespace {

constexpr int kBusyTimeoutMs = 10000;

Status Io(const std::string& what) {
  return Status(Code::kUnavailable, what + ": " + std::strerror(errno));
}

// fsync of a file or directory.
Status SyncPath(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return Io("cannot open " + path);
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc == 0 ? Status::Ok() : Io("cannot sync " + path);
}

// Runs VACUUM INTO `partial` on the store `db_path` (opened without creating it).
Status VacuumInto(const std::string& db_path, const std::string& partial) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Status st;
  if (rc != SQLITE_OK) {
    st = Error(db, "cannot open " + db_path);
  } else {
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    int version = SchemaVersion(db);
    if (version < 0) {
      st = Error(db, "cannot read " + db_path);
    } else if (version == 0) {
      st = Status(Code::kInvalidArgument, db_path + " is not a Herald store (no schema version)");
    } else {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, "VACUUM INTO ?", -1, &stmt, nullptr) != SQLITE_OK) {
        st = Error(db, "cannot back up " + db_path);
      } else {
        sqlite3_bind_text(stmt, 1, partial.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(stmt) != SQLITE_DONE) st = Error(db, "cannot back up " + db_path);
        sqlite3_finalize(stmt);
      }
    }
  }
  sqlite3_close(db);
  return st;
}

}  // namespace

Status BackupFile(const std::string& db_path, const std::string& to, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    return Status(Code::kNotFound, "no store at " + db_path);
  }
  if (fs::exists(to, ec) && fs::equivalent(db_path, to, ec)) {
    return Status(Code::kInvalidArgument, to + " is the store itself");
  }
  if (fs::exists(to, ec) && !force) {
    return Status(Code::kConflict, to + " exists; use --force to replace it");
  }
  const std::string partial = to + ".partial";
  // A partial file is only ever ours (an interrupted backup): start it again, owner-only.
  if (unlink(partial.c_str()) != 0 && errno != ENOENT) return Io("cannot remove " + partial);
  int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kStoreFileMode);
  if (fd < 0) return Io("cannot create " + partial);
  close(fd);
  Status st = VacuumInto(db_path, partial);
  if (st.ok()) st = SyncPath(partial, false);
  if (st.ok() && force) {
    // Companions of an old file under the name would be applied to the new one.
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      if (unlink((to + suffix).c_str()) != 0 && errno != ENOENT) {
        st = Io("cannot remove " + to + suffix);
        break;
      }
    }
  }
  if (st.ok() && rename(partial.c_str(), to.c_str()) != 0) st = Io("cannot rename " + partial);
  if (!st.ok()) {
    unlink(partial.c_str());
    return st;
  }
  fs::path parent = fs::absolute(to, ec).parent_path();
  return SyncPath(parent.empty() ? "." : parent.string(), true);
}

}  // namespace herald::sqlite
