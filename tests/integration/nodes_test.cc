// Several Herald processes on one SQLite store, as the nodes of a cluster: a UI session signed
// in through one `herald serve` works on another (pages, form posts with its CSRF token, the
// flash message of the next page), survives a restart, ends everywhere on sign-out or when its
// token is revoked (by a third process, the CLI); and every node lists the delivery workers of
// every process (/api/core/background-workers/, herald_workers in /metrics, the queue's worker
// count), a worker that stops gracefully disappearing at once.
#include <gtest/gtest.h>

#include <regex>

#include "harness.h"
#include "value/json.h"

namespace herald::testing {
namespace {

const std::string kForm = "Content-Type: application/x-www-form-urlencoded";

// GET `path` on `s` with the session cookie; the status.
int Page(const Server& s, const UiSession& ui, const std::string& path = "/") {
  return Http("GET", s.base() + path, "", {"Cookie: " + ui.cookie}).status;
}

// A form POST to `path` on `s` with the session cookie and `body`.
HttpResult Post(const Server& s, const UiSession& ui, const std::string& path,
                const std::string& body) {
  return Http("POST", s.base() + path, body, {kForm, "Cookie: " + ui.cookie});
}

class Nodes : public NodesTest {
 protected:
  // The live workers as `s` lists them (their "results"); count -1 on a failure.
  std::vector<Value> Workers(const Server& s, int64_t* count) {
    auto r = Api("GET", s.base() + "/api/core/background-workers/", token_);
    EXPECT_EQ(r.status, 200) << r.body;
    const Value* c = r.json().get("count");
    *count = c ? c->as_int() : -1;
    const Value* results = r.json().get("results");
    return results ? std::vector<Value>(results->as_list().begin(), results->as_list().end())
                   : std::vector<Value>{};
  }
  int64_t WorkerCount(const Server& s) {
    int64_t n = -1;
    Workers(s, &n);
    return n;
  }
  // The herald_workers line of /metrics ("" when missing).
  static std::string WorkersMetric(const Server& s) {
    auto m = Http("GET", s.base() + "/metrics");
    std::smatch match;
    if (!std::regex_search(m.body, match, std::regex("\nherald_workers ([0-9]+)\n"))) return "";
    return match[1].str();
  }
};

TEST_F(Nodes, AUiSessionWorksOnEveryNodeAndSurvivesARestart) {
  auto a = StartNode();
  auto b = StartNode();
  ASSERT_TRUE(a->started() && b->started());
  ASSERT_EQ(token_.size(), 40u);
  UiSession ui = SignInToUi(a->base(), token_);
  ASSERT_FALSE(ui.cookie.empty());

  // Node B: the page loads signed in, with the session's CSRF token in its forms.
  ExpectSignedIn(b->base(), ui);
  // A form post on B with the CSRF token; its message shows on A's next page, once.
  auto requeue = Post(*b, ui, "/tasks/requeue-failed", "csrf=" + ui.csrf);
  EXPECT_EQ(requeue.status, 303) << requeue.body.substr(0, 400);
  auto shown = Http("GET", a->base() + "/queues/", "", {"Cookie: " + ui.cookie});
  EXPECT_NE(shown.body.find("Requeued 0 failed tasks."), std::string::npos);
  auto again = Http("GET", b->base() + "/queues/", "", {"Cookie: " + ui.cookie});
  EXPECT_EQ(again.body.find("Requeued 0 failed tasks."), std::string::npos);
  // Without the CSRF token the post is refused on either node.
  EXPECT_EQ(Post(*b, ui, "/tasks/requeue-failed", "").status, 403);

  // A restart keeps the session.
  ASSERT_EQ(a->Stop(), 0);
  a = StartNode();
  ASSERT_TRUE(a->started());
  EXPECT_EQ(Page(*a, ui), 200);

  // Sign out on B: A no longer accepts the cookie.
  auto out = Post(*b, ui, "/logout", "csrf=" + ui.csrf);
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.headers["location"], "/login");
  EXPECT_EQ(Page(*a, ui), 303);
  EXPECT_EQ(Page(*b, ui), 303);
  EXPECT_EQ(Post(*a, ui, "/tasks/requeue-failed", "csrf=" + ui.csrf).status, 403);
}

TEST_F(Nodes, RevokingATokenEndsItsSessionsOnEveryNode) {
  auto a = StartNode();
  auto b = StartNode();
  ASSERT_TRUE(a->started() && b->started());
  auto created =
      RunHerald({"token", "create", "--read-only", "--name", "viewer", "--store", a->store_url()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string key = created.out.substr(0, created.out.find('\n'));
  std::smatch id;
  ASSERT_TRUE(std::regex_search(created.err, id, std::regex("token #([0-9]+)"))) << created.err;
  UiSession ui = SignInToUi(a->base(), key);
  ASSERT_FALSE(ui.cookie.empty());
  EXPECT_EQ(Page(*b, ui), 200);
  auto revoked = RunHerald({"token", "revoke", id[1].str(), "--store", a->store_url()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(Page(*a, ui), 303);
  EXPECT_EQ(Page(*b, ui), 303);
}

TEST_F(Nodes, EveryNodeListsTheWorkersOfEveryProcess) {
  auto api = StartNode();  // no delivery workers of its own
  ASSERT_TRUE(api->started());
  EXPECT_EQ(WorkerCount(*api), 0);
  EXPECT_EQ(WorkersMetric(*api), "0");

  Worker worker(dir_.path(), api->store_url());
  ASSERT_TRUE(worker.started()) << worker.Stderr();
  // It registered before it said it was delivering.
  int64_t count = -1;
  auto listed = Workers(*api, &count);
  ASSERT_EQ(count, 1);
  ASSERT_EQ(listed.size(), 1u);
  const Value& w = listed[0];
  const std::string name = w.get("name")->as_str();
  EXPECT_NE(name.find(':' + w.get("pid")->as_str() + ':'), std::string::npos)
      << "the lease holder name host:pid:suffix: " << name;
  EXPECT_EQ(name.substr(0, name.find(':')), w.get("hostname")->as_str());
  EXPECT_EQ(w.get("state")->as_str(), "idle");
  EXPECT_EQ(DumpJson(*w.get("queue_names")), "[\"default\"]");
  EXPECT_FALSE(w.get("birth_date")->is_none());
  EXPECT_FALSE(w.get("last_heartbeat")->is_none());
  auto one = Api("GET", w.get("url")->as_str(), token_);
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(WorkersMetric(*api), "1");
  auto queue = Api("GET", api->base() + "/api/core/background-queues/default/", token_);
  EXPECT_EQ(queue.json().get("workers")->as_int(), 1);

  // A `herald serve` with delivery workers is a worker too.
  auto both = StartNode(/*delivery_workers=*/true);
  ASSERT_TRUE(both->started());
  EXPECT_EQ(WorkerCount(*api), 2);
  EXPECT_EQ(WorkerCount(*both), 2);
  ASSERT_EQ(both->Stop(), 0);
  EXPECT_EQ(WorkerCount(*api), 1) << "a graceful stop deregisters at once";

  ASSERT_EQ(worker.Stop(), 0);
  EXPECT_EQ(WorkerCount(*api), 0);
  EXPECT_EQ(WorkersMetric(*api), "0");
  EXPECT_EQ(Api("GET", w.get("url")->as_str(), token_).status, 404);
}

}  // namespace
}  // namespace herald::testing
