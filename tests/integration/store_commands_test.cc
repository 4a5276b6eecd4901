// `herald store migrate | backup | copy` with the real binary: the schema-version rule at start
// (an older store is refused with the command to run, never migrated silently), an online backup
// that a new `herald serve` starts from, and a copy of a whole installation, interrupted and
// resumed, that serves the same data: into SQLite, and into PostgreSQL.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "harness.h"
#include "store/sqlite/schema.h"
#include "support/pg_server.h"
#include "value/json.h"

namespace herald::testing {
namespace {

const char* kSite = R"({"event": "created", "object_type": "dcim.site", "username": "admin",
  "data": {"id": 4, "name": "Site 1"}, "snapshots": {"prechange": null, "postchange": {}}})";

int Latest() { return static_cast<int>(sqlite::SchemaMigrations().size()); }

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// What a store serves through the API: webhooks, rules, events and every task with its status
// and attempts, one line each, sorted.
std::string Served(const std::string& base, const std::string& token) {
  std::set<std::string> lines;
  auto list = [&](const std::string& path, const std::vector<const char*>& fields) {
    auto r = Api("GET", base + path, token);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    const Value* results = r.json().get("results");
    if (!results || !results->is_list()) return;
    for (const Value& item : results->as_list()) {
      std::string line = path;
      for (const char* f : fields) {
        const Value* v = item.get(f);
        line += std::string(" ") + f + "=" + (v ? DumpJsonCompact(*v) : "-");
      }
      lines.insert(line);
    }
  };
  list("/api/extras/webhooks/?limit=1000", {"id", "name", "payload_url"});
  list("/api/extras/event-rules/?limit=1000", {"id", "name", "action_object_id"});
  list("/api/events/?limit=1000", {"id", "object_type", "timestamp"});
  list("/api/core/background-tasks/?status=all&limit=1000",
       {"id", "status", "attempts", "event_id", "error"});
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class StoreCommandsTest : public ::testing::Test {
 protected:
  std::string Url(const TempDir& d) { return "sqlite://" + d.path() + "/herald.db"; }

  // Posts `n` site events; expects each accepted.
  void PostSites(Server& s, const std::string& token, int n) {
    for (int i = 0; i < n; ++i) {
      auto r = Api("POST", s.base() + "/api/events/", token, kSite);
      ASSERT_EQ(r.status, 202) << r.body;
    }
  }
  int64_t CountTasks(Server& s, const std::string& token, const std::string& status) {
    auto r = Api("GET", s.base() + "/api/core/background-tasks/?status=" + status, token);
    const Value* c = r.json().get("count");
    return c ? c->as_int() : -1;
  }

  // The id of the first task with `status` that `s` lists.
  std::string TaskWith(Server& s, const std::string& token, const std::string& status) {
    auto r = Api("GET", s.base() + "/api/core/background-tasks/?status=" + status, token);
    const Value* results = r.json().get("results");
    if (!results || !results->is_list() || results->as_list().empty()) return "";
    const Value* id = results->as_list()[0].get("id");
    return id && id->is_str() ? id->as_str() : "";
  }
  // `herald tasks list` of `store`: every task, as JSON.
  std::string TaskList(const std::string& store) {
    auto r = RunHerald(
        {"tasks", "list", "--status", "all", "--limit", "1000", "--json", "--store", store});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // `herald tasks show` of task `id` in `store` (the task with its attempts).
  std::string TaskShown(const std::string& store, const std::string& id) {
    auto r = RunHerald({"tasks", "show", id, "--store", store});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // What MakeInstallation made.
  struct Installation {
    std::string token;   // the admin token
    std::string served;  // Served() of it
    std::string failed_id, scheduled_id;
  };
  // Fills the store in a_ through the API: webhooks "ok", "bad" (one attempt) and "retry" (a day
  // between attempts) with a rule each, a read-only token, 3 site events delivered (finished), a
  // device event failed and a rack event scheduled for its retry (their receiver answered 500
  // with bytes that are not UTF-8), then 4 site events queued (no workers): 9 events and tasks.
  // Leaves the store stopped; token empty (and a test failure) when a step fails.
  Installation MakeInstallation(Receiver& rx) {
    Installation in;
    rx.Respond(200);
    {
      Server s(a_.path());
      EXPECT_TRUE(s.started()) << s.Stderr();
      const std::string token = in.token = s.admin_token();
      if (CreateWebhookAndRule(s.base(), token,
                               R"({"name": "ok", "payload_url": ")" + rx.url("/ok") + "\"}") <= 0 ||
          CreateWebhookAndRule(
              s.base(), token,
              R"({"name": "bad", "max_attempts": 1, "payload_url": ")" + rx.url("/bad") + "\"}",
              "rule-bad", "dcim.device") <= 0 ||
          CreateWebhookAndRule(s.base(), token,
                               R"({"name": "retry", "max_attempts": 5, "retry_policy": "fixed", )"
                               R"("retry_interval": 86400, "payload_url": ")" +
                                   rx.url("/retry") + "\"}",
                               "rule-retry", "dcim.rack") <= 0) {
        return in;
      }
      auto ro = RunHerald({"token", "create", "--read-only", "--store", s.store_url()});
      EXPECT_EQ(ro.exit_code, 0) << ro.err;
      PostSites(s, token, 3);
      EXPECT_TRUE(
          WaitFor([&] { return CountTasks(s, token, "finished") == 3; }, std::chrono::seconds(20)));
      rx.Respond(500, "no \xff\xfe here");
      for (const char* type : {"dcim.device", "dcim.rack"}) {
        std::string event = kSite;
        event.replace(event.find("dcim.site"), 9, type);
        EXPECT_EQ(Api("POST", s.base() + "/api/events/", token, event).status, 202);
      }
      EXPECT_TRUE(WaitFor(
          [&] {
            return CountTasks(s, token, "failed") == 1 && CountTasks(s, token, "scheduled") == 1;
          },
          std::chrono::seconds(20)));
      EXPECT_EQ(s.Stop(), 0);
    }
    // Without workers, new events stay queued.
    Server s(a_.path(), {}, {{"HERALD_DELIVERY_WORKERS", "false"}});
    EXPECT_TRUE(s.started()) << s.Stderr();
    PostSites(s, in.token, 4);
    EXPECT_EQ(CountTasks(s, in.token, "queued"), 4);
    in.served = Served(s.base(), in.token);
    in.failed_id = TaskWith(s, in.token, "failed");
    in.scheduled_id = TaskWith(s, in.token, "scheduled");
    EXPECT_FALSE(in.failed_id.empty() || in.scheduled_id.empty());
    EXPECT_EQ(s.Stop(), 0);
    return in;
  }

  // Expects `copy` (a server on a copy of MakeInstallation's store) to serve what it served.
  void ExpectCopyOf(Server& copy, const Installation& in) {
    EXPECT_TRUE(copy.admin_token().empty()) << "tokens were copied";
    EXPECT_EQ(Served(copy.base(), in.token), in.served);
    EXPECT_EQ(CountTasks(copy, in.token, "queued"), 4);
    EXPECT_EQ(CountTasks(copy, in.token, "scheduled"), 1);
    EXPECT_EQ(CountTasks(copy, in.token, "failed"), 1);
    EXPECT_EQ(CountTasks(copy, in.token, "finished"), 3);
  }

  TempDir a_{"store-a"}, b_{"store-b"};
};

TEST_F(StoreCommandsTest, MigrateCreatesUpgradesAndIsIdempotent) {
  auto first = RunHerald({"store", "migrate", "--store", Url(a_)});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(Has(first.out, "schema version 0 -> " + std::to_string(Latest()) + " (created)"))
      << first.out;
  // HERALD_STORE_URL names the store like --store does.
  auto again = RunHerald({"store", "migrate"}, {{"HERALD_STORE_URL", Url(a_)}});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const std::string v = std::to_string(Latest());
  EXPECT_TRUE(Has(again.out, "schema version " + v + " -> " + v + " (already current)"))
      << again.out;
}

TEST_F(StoreCommandsTest, OlderSchemaIsRefusedUntilMigrated) {
  const std::string db = a_.path() + "/herald.db";
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    Status st = sqlite::ApplyMigrations(h, sqlite::SchemaMigrations().first(Latest() - 1));
    sqlite3_close(h);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  const std::string older = std::to_string(Latest() - 1);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"serve", "--listen", "127.0.0.1:0", "--store", Url(a_)},
           {"worker", "--store", Url(a_)},
           {"token", "list", "--store", Url(a_)},
           {"tasks", "list", "--store", Url(a_)}}) {
    auto r = RunHerald(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.out << r.err;
    EXPECT_TRUE(Has(r.err, "store schema version " + older + " is older")) << r.err;
    EXPECT_TRUE(Has(r.err, "herald store migrate --store " + Url(a_))) << r.err;
  }
  auto m = RunHerald({"store", "migrate", "--store", Url(a_)});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_TRUE(Has(m.out, older + " -> " + std::to_string(Latest()) + " (upgraded)")) << m.out;
  Server s(a_.path());
  EXPECT_TRUE(s.started()) << s.Stderr();
}

TEST_F(StoreCommandsTest, NewerSchemaIsRefused) {
  ASSERT_EQ(RunHerald({"store", "migrate", "--store", Url(a_)}).exit_code, 0);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open((a_.path() + "/herald.db").c_str(), &h), SQLITE_OK);
    const std::string sql = "PRAGMA user_version = " + std::to_string(Latest() + 1);
    ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  }
  for (const char* cmd : {"serve", "migrate"}) {
    auto r = std::string(cmd) == "serve"
                 ? RunHerald({"serve", "--listen", "127.0.0.1:0", "--store", Url(a_)})
                 : RunHerald({"store", "migrate", "--store", Url(a_)});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_TRUE(Has(r.err, "is newer than this herald knows (" + std::to_string(Latest()) + ")"))
        << r.err;
  }
}

TEST_F(StoreCommandsTest, OnlineBackupServesTheSameData) {
  Receiver rx;
  Server s(a_.path());
  ASSERT_TRUE(s.started()) << s.Stderr();
  const std::string token = s.admin_token();
  ASSERT_GT(CreateWebhookAndRule(s.base(), token,
                                 R"({"name": "hook", "payload_url": ")" + rx.url("/in") + "\"}"),
            0);
  PostSites(s, token, 3);
  ASSERT_TRUE(
      WaitFor([&] { return CountTasks(s, token, "finished") == 3; }, std::chrono::seconds(20)));
  const std::string file = b_.path() + "/herald.db";
  auto r = RunHerald({"store", "backup", "--store", s.store_url(), "--to", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = RunHerald({"store", "backup", "--store", s.store_url(), "--to", file});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Has(again.err, "exists; use --force")) << again.err;
  PostSites(s, token, 1);  // the server goes on; the forced backup takes it too
  ASSERT_TRUE(
      WaitFor([&] { return CountTasks(s, token, "finished") == 4; }, std::chrono::seconds(20)));
  auto forced = RunHerald({"store", "backup", "--store", s.store_url(), "--to", file, "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  const std::string served = Served(s.base(), token);
  EXPECT_TRUE(Has(served, R"(name="hook")")) << served;
  EXPECT_TRUE(Has(served, R"(status="finished")")) << served;
  EXPECT_EQ(s.Stop(), 0);

  Server restored(b_.path());
  ASSERT_TRUE(restored.started()) << restored.Stderr();
  EXPECT_TRUE(restored.admin_token().empty()) << "the backup has the tokens";
  EXPECT_EQ(Served(restored.base(), token), served);
  EXPECT_EQ(CountTasks(restored, token, "finished"), 4);
}

TEST_F(StoreCommandsTest, BackupOfPostgresSaysPgDump) {
  auto r = RunHerald({"store", "backup", "--store", "postgresql://herald@localhost/herald", "--to",
                      a_.path() + "/x.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "pg_dump")) << r.err;
  auto missing = RunHerald(
      {"store", "backup", "--store", "sqlite://" + a_.path() + "/none.db", "--to", "x.db"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Has(missing.err, "no store at")) << missing.err;
}

TEST_F(StoreCommandsTest, CopyMovesAnInstallationAndResumes) {
  Receiver rx;
  const Installation in = MakeInstallation(rx);
  ASSERT_FALSE(in.token.empty());
  EXPECT_TRUE(Has(in.served, R"(status="failed")")) << in.served;
  auto stopped = RunHerald({"store", "copy", "--from", Url(a_), "--to", Url(b_), "--batch-size",
                            "2", "--stop-after-batches", "2"});
  EXPECT_EQ(stopped.exit_code, 3) << stopped.out << stopped.err;
  EXPECT_TRUE(Has(stopped.out, "run again to resume")) << stopped.out;
  auto resumed =
      RunHerald({"store", "copy", "--from", Url(a_), "--to", Url(b_), "--batch-size", "2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_TRUE(Has(resumed.out, "resumed copy of")) << resumed.out;
  EXPECT_TRUE(Has(resumed.out, "5 event(s)")) << resumed.out;  // 9 events, 4 copied before

  Server copy(b_.path(), {}, {{"HERALD_DELIVERY_WORKERS", "false"}});
  ASSERT_TRUE(copy.started()) << copy.Stderr();
  ExpectCopyOf(copy, in);
  auto again = RunHerald({"store", "copy", "--from", Url(a_), "--to", Url(b_)});
  EXPECT_EQ(again.exit_code, 0) << again.err << " (a finished copy resumes with nothing to do)";
  // A missing source is refused, not created.
  auto missing = RunHerald({"store", "copy", "--from", "sqlite://" + b_.path() + "/typo.db", "--to",
                            "sqlite://" + b_.path() + "/x.db"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Has(missing.err, "no store at")) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(b_.path() + "/typo.db"));
  // A target with other data is refused.
  TempDir c{"store-c"};
  ASSERT_EQ(RunHerald({"token", "create", "--store", Url(c)}).exit_code, 0);
  auto refused = RunHerald({"store", "copy", "--from", Url(a_), "--to", Url(c)});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(Has(refused.err, "is not empty")) << refused.err;
}

// Into PostgreSQL (a throwaway database, tests/support/pg_server.h): interrupted and resumed,
// then the CLI and `herald serve` on PostgreSQL show what they showed on SQLite, new records
// get ids after the copied ones, and copying again into the target writes nothing twice.
TEST_F(StoreCommandsTest, CopyIntoPostgresResumesServesTheSameAndGoesOn) {
  ASSERT_TRUE(PgServer::Get().ok()) << PgServer::Get().error();
  Receiver rx;
  const Installation in = MakeInstallation(rx);
  ASSERT_FALSE(in.token.empty());
  const std::string& token = in.token;
  const std::string tasks = TaskList(Url(a_));
  const std::string failed = TaskShown(Url(a_), in.failed_id);
  ASSERT_TRUE(Has(failed, "\"attempt_log\"")) << failed;
  std::string error;
  const std::string pg = PgServer::Get().CreateDatabase("herald_copy_target", &error);
  ASSERT_FALSE(pg.empty()) << error;

  auto stopped = RunHerald({"store", "copy", "--from", Url(a_), "--to", pg, "--batch-size", "2",
                            "--stop-after-batches", "2"});
  EXPECT_EQ(stopped.exit_code, 3) << stopped.out << stopped.err;
  auto resumed = RunHerald({"store", "copy", "--from", Url(a_), "--to", pg, "--batch-size", "2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_TRUE(Has(resumed.out, "resumed copy of")) << resumed.out;
  EXPECT_TRUE(Has(resumed.out, "5 event(s)")) << resumed.out;
  EXPECT_TRUE(Has(resumed.out, " 0 already there\n")) << resumed.out;

  EXPECT_EQ(TaskList(pg), tasks);
  EXPECT_EQ(TaskShown(pg, in.failed_id), failed);
  EXPECT_EQ(TaskShown(pg, in.scheduled_id), TaskShown(Url(a_), in.scheduled_id));
  Server copy(b_.path(), {"--store", pg}, {{"HERALD_DELIVERY_WORKERS", "false"}});
  ASSERT_TRUE(copy.started()) << copy.Stderr();
  ExpectCopyOf(copy, in);
  EXPECT_EQ(CountTasks(copy, token, "all"), 9);
  auto tokens = RunHerald({"token", "list", "--store", pg});
  ASSERT_EQ(tokens.exit_code, 0) << tokens.err;
  EXPECT_TRUE(Has(tokens.out, "read")) << tokens.out;

  // New records get ids after the copied ones.
  auto hook = Api("POST", copy.base() + "/api/extras/webhooks/", token,
                  R"({"name": "after-copy", "payload_url": ")" + rx.url("/new") + "\"}");
  ASSERT_EQ(hook.status, 201) << hook.body;
  EXPECT_EQ(hook.json().get("id")->as_int(), 4);
  auto posted = Api("POST", copy.base() + "/api/events/", token, kSite);
  ASSERT_EQ(posted.status, 202) << posted.body;
  EXPECT_EQ(CountTasks(copy, token, "queued"), 5);
  auto events = Api("GET", copy.base() + "/api/events/?limit=1", token);
  const Value* newest = events.json().get("results");
  ASSERT_TRUE(newest && newest->is_list() && !newest->as_list().empty()) << events.body;
  EXPECT_EQ(newest->as_list()[0].get("id")->as_int(), 10);

  // The target now has records of its own, so it is no longer an interrupted copy: copying
  // again is refused, and with --into-non-empty skips every record it has.
  auto refused = RunHerald({"store", "copy", "--from", Url(a_), "--to", pg});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_TRUE(Has(refused.err, "is not empty")) << refused.err;
  auto again = RunHerald({"store", "copy", "--from", Url(a_), "--to", pg, "--into-non-empty"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(Has(again.out, "config 0 record(s) written")) << again.out;
  EXPECT_TRUE(Has(again.out, "9 event(s) in 1 batch(es), 0 record(s) written")) << again.out;
  EXPECT_EQ(CountTasks(copy, token, "all"), 10);
  EXPECT_EQ(TaskShown(pg, in.failed_id), failed);
}

}  // namespace
}  // namespace herald::testing
