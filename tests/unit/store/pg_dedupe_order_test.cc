// PostgreSQL store: two nodes whose commits claim the same ingest dedupe keys in opposite orders
// do not deadlock (pg_store::LockDedupeKeys). The interleaving that used to deadlock is forced
// without timing: a third connection holds a "gate" key of each commit in an open transaction,
// so node A stops after claiming its first key, and node B is started only once A waits there;
// the test then checks, through pg_locks, that both wait before it opens the gate.
#include <gtest/gtest.h>

#include <thread>

#include "pg_fixture.h"
#include "store/postgres/pg_conn.h"
#include "store_contract.h"
#include "support/pg_server.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace herald {
namespace {

using store_contract::MakeEvent;
using testing::PgServer;
using testing::WaitFor;

// Commits, on `s`, one event without tasks per key of `keys`, in that order (never stale:
// dedupe_since 0).
Result<std::vector<CommittedEvent>> CommitKeys(Store& s, const std::vector<std::string>& keys) {
  std::vector<NewEvent> events;
  for (size_t i = 0; i < keys.size(); ++i) {
    events.push_back(MakeEvent("dcim.site", static_cast<int>(i), {}));
    events.back().dedupe_key = keys[i];
  }
  return s.CommitEventsSync(std::move(events));
}

TEST(PgDedupeOrder, OppositeKeyOrdersOnTwoNodesDoNotDeadlock) {
  ASSERT_TRUE(PgServer::Get().ok()) << PgServer::Get().error();
  testing::TempDir dir("pg-dedupe-order");
  std::string error;
  const std::string url = PgDatabaseFor(dir.path(), &error);
  ASSERT_FALSE(url.empty()) << error;
  PgStoreOptions options;
  options.database_clock = false;
  auto a = PostgresStore::Open(url, options);
  auto b = PostgresStore::Open(url, options);
  ASSERT_TRUE(a.ok() && b.ok());

  // The gate: keys "gate-a" and "gate-b" claimed by an uncommitted transaction.
  auto gate = pg::Conn::Connect(url);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  pg::Conn& g = **gate;
  ASSERT_TRUE(g.Simple("BEGIN; INSERT INTO herald.ingest_keys(key, event_id, task_ids, "
                       "accepted_at) VALUES ('gate-a', 1000001, '', 0), ('gate-b', 1000002, '', 0)")
                  .ok());
  // Sessions of this database waiting for a lock.
  auto waiting = [&g]() -> int64_t {
    auto r = g.Simple(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid "
        "WHERE NOT l.granted AND s.datname = current_database()");
    return r.ok() ? pg::Row(*r, 0).Int(0) : -1;
  };

  // A claims x, then waits for gate-a. B, started once A waits, waits for A's key locks (before
  // the fix: claimed y, then waited for gate-b).
  Result<std::vector<CommittedEvent>> from_a = Status(Code::kInternal, "not run");
  Result<std::vector<CommittedEvent>> from_b = from_a;
  std::thread ta([&] { from_a = CommitKeys(**a, {"x", "gate-a", "y"}); });
  const bool a_waits = WaitFor([&] { return waiting() == 1; });
  std::thread tb([&] { from_b = CommitKeys(**b, {"y", "gate-b", "x"}); });
  const bool both_wait = WaitFor([&] { return waiting() == 2; });
  // Opening the gate lets A go on to y and B to x: before the fix, a deadlock that the server
  // broke by aborting one of them.
  EXPECT_TRUE(g.Simple("COMMIT").ok());
  ta.join();
  tb.join();
  ASSERT_TRUE(a_waits && both_wait) << "the commits did not reach the gate";
  ASSERT_TRUE(from_a.ok()) << from_a.status().ToString();
  ASSERT_TRUE(from_b.ok()) << from_b.status().ToString();
  ASSERT_EQ(from_a->size(), 3u);
  ASSERT_EQ(from_b->size(), 3u);
  // A came first with x and y; B's events are duplicates of A's and of the gate's.
  EXPECT_FALSE((*from_a)[0].duplicate);
  EXPECT_FALSE((*from_a)[2].duplicate);
  EXPECT_TRUE((*from_a)[1].duplicate);
  EXPECT_EQ((*from_a)[1].event_id, 1000001);
  for (const CommittedEvent& c : *from_b) EXPECT_TRUE(c.duplicate);
  EXPECT_EQ((*from_b)[0].event_id, (*from_a)[2].event_id);
  EXPECT_EQ((*from_b)[1].event_id, 1000002);
  EXPECT_EQ((*from_b)[2].event_id, (*from_a)[0].event_id);
}

}  // namespace
}  // namespace herald
