// Herald on PostgreSQL while the database goes away and comes back (issue 10): a client keeps
// posting events; while the server is down every post is refused with 503 and a message saying
// the events could not be stored (never 202, never a hang: the client's timeout would show it);
// once the database is back, posting works again without restarting Herald, and every event that
// was acknowledged with 202 is in the store.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "harness.h"
#include "support/pg_server.h"
#include "value/json.h"

namespace herald::testing {
namespace {

const char* const kEvent = kSiteCreatedEvent;

// Bound the client's loop (it stops earlier when told): refusals take about a millisecond, so it
// must outlast the seconds the database takes to restart.
constexpr int kMaxPosts = 100000;
const auto kClientDeadline = std::chrono::seconds(45);
const auto kClientTimeout = std::chrono::seconds(10);

// One post as the client saw it.
struct Post {
  int phase = 0;  // 0 before the outage, 1 sent and answered while down, 2 overlapping a change
  int status = 0;
  std::string error, body;
  int64_t event = 0;  // the acknowledged event's id
};

TEST(PgOutage, PostsAre503WhileTheDatabaseIsDownAndWorkAgainAfter) {
  PgServer& pg = PgServer::Get();
  ASSERT_TRUE(pg.ok()) << pg.error();
  std::string error;
  const std::string url = pg.CreateDatabase("herald_pg_outage", &error);
  ASSERT_FALSE(url.empty()) << error;
  TempDir dir;
  Server server(dir.path(), {"--store", url}, {{"HERALD_DELIVERY_WORKERS", "false"}});
  ASSERT_TRUE(server.started()) << server.Stderr();
  const std::string token = server.admin_token();
  ASSERT_EQ(token.size(), 40u);

  // The phase the database is in: 0 up (before), 1 down, 2 changing or up again.
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Post> posts;
  std::thread client([&] {
    const auto end = std::chrono::steady_clock::now() + kClientDeadline;
    for (int i = 0; i < kMaxPosts && !stop && std::chrono::steady_clock::now() < end; ++i) {
      const int at_start = phase;
      auto r =
          Http("POST", server.base() + "/api/events/", FreshEvent(kEvent),
               {"Authorization: Token " + token, "Content-Type: application/json"}, kClientTimeout);
      Post p;
      p.phase = at_start == phase ? at_start : 2;
      p.status = r.status;
      p.error = r.error;
      p.body = r.body;
      if (r.status == 202) p.event = r.json().get("events")->as_list()[0].get("id")->as_int();
      std::lock_guard<std::mutex> lock(mu);
      posts.push_back(std::move(p));
    }
  });
  auto count = [&](int in_phase, int status) {
    std::lock_guard<std::mutex> lock(mu);
    return std::count_if(posts.begin(), posts.end(),
                         [&](const Post& p) { return p.phase == in_phase && p.status == status; });
  };
  auto finish = [&] {
    stop = true;
    client.join();
  };

  const bool before = WaitFor([&] { return count(0, 202) >= 5; });
  phase = 2;
  const bool paused = pg.Pause(&error);
  phase = 1;
  const bool refused = paused && WaitFor([&] { return count(1, 503) >= 5; });
  phase = 2;
  const bool resumed = pg.Resume(&error);
  // Phase 2 from here on: posting works again without restarting Herald.
  size_t after_resume = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    after_resume = posts.size();
  }
  const bool again = resumed && WaitFor(
                                    [&] {
                                      std::lock_guard<std::mutex> lock(mu);
                                      size_t ok = 0;
                                      for (size_t i = after_resume; i < posts.size(); ++i) {
                                        ok += posts[i].status == 202;
                                      }
                                      return ok >= 5;
                                    },
                                    std::chrono::seconds(20));
  finish();
  ASSERT_TRUE(before) << "no event was accepted before the outage";
  ASSERT_TRUE(paused) << error;
  EXPECT_TRUE(refused) << "fewer than 5 posts were refused with 503 while the database was down";
  ASSERT_TRUE(resumed) << error;
  EXPECT_TRUE(again) << "posting did not work again after the database came back\n"
                     << server.Stderr();
  EXPECT_TRUE(server.alive());

  for (const Post& p : posts) {
    EXPECT_TRUE(p.error.empty()) << "a post got no answer: " << p.error;
    EXPECT_TRUE(p.status == 202 || p.status == 503) << p.status << " " << p.body;
    if (p.phase == 1) {
      EXPECT_EQ(p.status, 503) << "accepted while the database was down: " << p.body;
    }
    if (p.status == 503) {
      EXPECT_NE(p.body.find("could not be stored"), std::string::npos) << p.body;
    }
  }
  // Every acknowledged event is in the store.
  size_t acked = 0;
  for (const Post& p : posts) {
    if (p.status != 202) continue;
    ++acked;
    auto r = Api("GET", server.base() + "/api/events/" + std::to_string(p.event) + "/", token);
    EXPECT_EQ(r.status, 200) << "acknowledged event " << p.event << " is missing: " << r.body;
  }
  EXPECT_GE(acked, 10u);
}

}  // namespace
}  // namespace herald::testing
