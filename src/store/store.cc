// OpenStore (URL -> backend) and the backend-independent parts of Store.
#include "store/store.h"

#include <algorithm>
#include <filesystem>
#include <future>

#include "store/postgres/pg_store.h"
#include "store/sqlite/backup.h"
#include "store/sqlite/sqlite_store.h"

namespace herald {

Result<std::vector<CommittedEvent>> Store::CommitEventsSync(std::vector<NewEvent> events) {
  std::promise<Result<std::vector<CommittedEvent>>> promise;
  auto future = promise.get_future();
  CommitEvents(std::move(events), [&promise](Result<std::vector<CommittedEvent>> r) {
    promise.set_value(std::move(r));
  });
  return future.get();
}

std::string WorkerStoppedError(int expiries) {
  return "worker stopped while delivering (" + std::to_string(expiries) + " times); see the logs";
}

Result<std::vector<Task>> Store::LeaseTasks(const std::string& worker, int max, TimeUs now,
                                            TimeUs lease_us) {
  LeaseRequest req;
  req.worker = worker;
  req.max = max;
  req.now = now;
  req.lease_us = lease_us;
  auto r = Lease(req);
  if (!r.ok()) return r.status();
  return std::move(r->leased);
}

Result<int64_t> Store::PurgeFinished(TimeUs before) {
  int64_t total = 0;
  while (true) {
    auto n = PurgeFinishedBatch(before);
    if (!n.ok()) return n.status();
    total += *n;
    if (*n < kPurgeBatchRows) return total;
  }
}

namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";

// The file of a "sqlite://relative/path.db" or "sqlite:///absolute/path.db" URL: everything
// after the scheme is the path, so the absolute form keeps its leading '/'.
Result<std::string> SqlitePath(const std::string& url) {
  std::string path = url.substr(kSqliteScheme.size());
  if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
  if (path.empty() || path.back() == '/') {
    return Status(Code::kConfig, "store URL '" + url +
                                     "' names no database file; expected sqlite://path/herald.db "
                                     "or sqlite:///absolute/path/herald.db");
  }
  return path;
}

bool IsPostgresUrl(const std::string& url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

Status UnknownScheme(const std::string& url) {
  auto colon = url.find("://");
  std::string scheme = colon == std::string::npos ? std::string() : url.substr(0, colon);
  const std::string shown = RedactStoreUrl(url);
  return Status(Code::kConfig,
                (scheme.empty() ? "store URL '" + shown + "' has no scheme"
                                : "unknown store URL scheme '" + scheme + "' in '" + shown + "'") +
                    "; expected sqlite://path/herald.db or postgresql://host/database");
}

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& url, const StoreOpenOptions& options) {
  auto path = SqlitePath(url);
  if (!path.ok()) return path.status();
  std::filesystem::path p(*path);
  // A store that must exist gets no directory either (SqliteStore::Open refuses it).
  if (p.has_parent_path() && options.schema != SchemaPolicy::kRequireCurrent) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return Status(Code::kUnavailable,
                    "cannot create directory " + p.parent_path().string() + ": " + ec.message());
    }
  }
  auto store = SqliteStore::Open(*path, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace

std::string RedactStoreUrl(const std::string& url) {
  std::string out = url;
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    const size_t at = out.rfind('@', end - 1);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a URL parameter or a key=value pair (possibly quoted).
  for (size_t pos = 0; (pos = out.find("password", pos)) != std::string::npos;) {
    size_t eq = pos + 8;
    while (eq < out.size() && out[eq] == ' ') ++eq;
    if (eq >= out.size() || out[eq] != '=') {
      pos += 8;
      continue;
    }
    size_t v = eq + 1;
    while (v < out.size() && out[v] == ' ') ++v;
    size_t e = v;
    if (e < out.size() && out[e] == '\'') {
      ++e;
      while (e < out.size() && out[e] != '\'') e += out[e] == '\\' ? 2 : 1;
      e = std::min(e + 1, out.size());
    } else {
      while (e < out.size() && out[e] != '&' && out[e] != ' ') ++e;
    }
    out.replace(v, e - v, "***");
    pos = v + 3;
  }
  return out;
}

Result<bool> CheckSchemaVersion(const std::string& url, int found, int known, SchemaPolicy policy) {
  const std::string v = std::to_string(found), k = std::to_string(known);
  if (found > known) {
    return Status(Code::kUnavailable,
                  "store schema version " + v + " is newer than this herald knows (" + k +
                      "); use the herald release that upgraded it, or a newer one (or restore a "
                      "backup taken before the upgrade)");
  }
  if (found == known) return false;
  if (found == 0 && policy == SchemaPolicy::kRequireCurrent) {
    return Status(Code::kNotFound, "the store " + url + " is empty (it has no schema)");
  }
  if (found > 0 && policy != SchemaPolicy::kMigrate) {
    return Status(Code::kUnavailable,
                  "store schema version " + v + " is older than this herald needs (" + k +
                      "); upgrade it first with: herald store migrate --store " + url +
                      " (see docs/store.md, \"Upgrading\")");
  }
  return true;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOpenOptions& options) {
  if (url.starts_with(kSqliteScheme)) return OpenSqlite(url, options);
  if (IsPostgresUrl(url)) {
    PgStoreOptions pg;
    pg.pool_size = options.pool_size;
    pg.schema = options.schema;
    auto store = PostgresStore::Open(url, pg);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  return UnknownScheme(url);
}

Status BackupStore(const std::string& url, const std::string& to, bool force) {
  if (IsPostgresUrl(url)) {
    return Status(Code::kUnsupported,
                  "herald store backup copies SQLite stores only; back up a PostgreSQL store with "
                  "pg_dump (for example: pg_dump --format=custom --file=herald.dump DATABASE; see "
                  "docs/store.md)");
  }
  if (!url.starts_with(kSqliteScheme)) return UnknownScheme(url);
  auto path = SqlitePath(url);
  if (!path.ok()) return path.status();
  return sqlite::BackupFile(*path, to, force);
}

}  // namespace herald
