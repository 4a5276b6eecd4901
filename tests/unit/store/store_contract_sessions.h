// The UI-session and worker-heartbeat part of the Store contract: a typed suite every backend
// runs unchanged, with the same factory type as StoreContract (store_contract.h):
//   static Result<std::unique_ptr<Store>> Open(const std::string& dir);
// opening (or reopening) the backend's store kept under the empty temp directory `dir`; two
// stores opened on one `dir` at once must share the data (two nodes on one database).
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, SessionContract, ::testing::Types<SqliteFactory>);
// Every time is injected (these methods never read the store's clock), so "expired" is a later
// `now`, never a sleep.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/temp_dir.h"

namespace herald::store_contract {

template <typename F>
class SessionContract : public ::testing::Test {
 protected:
  static constexpr TimeUs kT0 = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
  static constexpr TimeUs kSecond = 1000000;

  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    store_ = OpenOne();
    ASSERT_TRUE(store_);
  }
  void TearDown() override {
    if (store_) store_->Close();
  }
  // Another store on the same data (another node), or nullptr with a test failure.
  std::unique_ptr<Store> OpenOne() {
    auto s = F::Open(dir_.path());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void Reopen() {
    store_->Close();
    store_ = OpenOne();
    ASSERT_TRUE(store_);
  }
  Store& s() { return *store_; }

  // A live token named `name`; its id (0 with a test failure).
  int64_t Token(const std::string& name, TokenScope scope = TokenScope::kAdmin) {
    ApiToken t;
    t.name = name;
    t.key_prefix = name.substr(0, 4);
    t.key_hash = "hash-of-" + name;
    t.scope = scope;
    auto r = store_->CreateToken(t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }
  // A session of `token_id` signed in at `at`, live for `ttl`.
  static UiSession Session(const std::string& id_hash, int64_t token_id, TimeUs at,
                           TimeUs ttl = 3600 * kSecond) {
    UiSession u;
    u.id_hash = id_hash;
    u.csrf = "csrf-" + id_hash;
    u.token_id = token_id;
    u.created_at = at;
    u.last_seen_at = at;
    u.expires_at = at + ttl;
    return u;
  }
  // Creates it with cap `cap` at its own sign-in time; how many sessions it ended (-1 on error).
  int64_t Create(const UiSession& u, int64_t cap = 20) {
    auto r = store_->CreateSession(u, cap, u.created_at);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  }
  bool Live(const std::string& id_hash, TimeUs now) {
    auto r = store_->FindSession(id_hash, now);
    EXPECT_TRUE(r.ok() || r.status().code() == Code::kNotFound) << r.status().ToString();
    return r.ok();
  }

  static WorkerInfo Worker(const std::string& name, TimeUs at) {
    WorkerInfo w;
    w.name = name;
    w.host = "host-" + name;
    w.pid = 4242;
    w.queue_names = {"default", "other"};
    w.birth_date = at;
    w.last_heartbeat = at;
    w.state = "idle";
    return w;
  }
  std::vector<WorkerInfo> Workers(TimeUs alive_since) {
    auto r = store_->ListWorkers(alive_since);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<WorkerInfo>{};
  }
  static std::vector<std::string> Names(const std::vector<WorkerInfo>& ws) {
    std::vector<std::string> out;
    for (const auto& w : ws) out.push_back(w.name);
    return out;
  }

  testing::TempDir dir_{"store-sessions"};
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(SessionContract);

// ---- UI sessions ----

TYPED_TEST_P(SessionContract, SessionRoundTripWithItsToken) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0;
  const int64_t tok = this->Token("alice", TokenScope::kReadOnly);
  auto u = this->Session("h1", tok, t0);
  u.flash = {"welcome", true};
  EXPECT_EQ(this->Create(u), 0);
  auto got = s.FindSession("h1", t0 + 1);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id_hash, "h1");
  EXPECT_EQ(got->csrf, "csrf-h1");
  EXPECT_EQ(got->token_id, tok);
  EXPECT_EQ(got->created_at, t0);
  EXPECT_EQ(got->last_seen_at, t0);
  EXPECT_EQ(got->expires_at, u.expires_at);
  EXPECT_EQ(got->flash.message, "welcome");
  EXPECT_TRUE(got->flash.error);
  EXPECT_EQ(got->token.id, tok);
  EXPECT_EQ(got->token.name, "alice");
  EXPECT_EQ(got->token.key_hash, "hash-of-alice");
  EXPECT_EQ(got->token.scope, TokenScope::kReadOnly);
  EXPECT_FALSE(got->token.revoked);

  auto unknown = s.FindSession("h2", t0 + 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
}

TYPED_TEST_P(SessionContract, CreateSessionRefusals) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0;
  const int64_t tok = this->Token("bob");
  auto empty = s.CreateSession(this->Session("", tok, t0), 5, t0);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  auto no_token = s.CreateSession(this->Session("h1", tok + 100, t0), 5, t0);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.status().code(), Code::kNotFound);
  ASSERT_EQ(this->Create(this->Session("h1", tok, t0)), 0);
  auto dup = s.CreateSession(this->Session("h1", tok, t0 + 1), 5, t0 + 1);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Code::kConflict);
  ASSERT_TRUE(s.RevokeToken(tok).ok());
  auto revoked = s.CreateSession(this->Session("h2", tok, t0), 5, t0);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.status().code(), Code::kNotFound);
}

TYPED_TEST_P(SessionContract, ExpiryTouchAndPurge) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0, sec = this->kSecond;
  const int64_t tok = this->Token("carol");
  ASSERT_EQ(this->Create(this->Session("h1", tok, t0, 10 * sec)), 0);
  ASSERT_EQ(this->Create(this->Session("h2", tok, t0, 10 * sec)), 0);
  EXPECT_TRUE(this->Live("h1", t0 + 10 * sec - 1));
  EXPECT_FALSE(this->Live("h1", t0 + 10 * sec)) << "live while now < expires_at";

  // A touch moves last use and expiry; FindSession itself changed nothing.
  ASSERT_TRUE(s.TouchSession("h1", t0 + 5 * sec, t0 + 20 * sec).ok());
  auto got = s.FindSession("h1", t0 + 15 * sec);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->last_seen_at, t0 + 5 * sec);
  EXPECT_EQ(got->expires_at, t0 + 20 * sec);
  EXPECT_FALSE(this->Live("h2", t0 + 15 * sec));

  // An expired session cannot be touched back to life; unknown ones are NotFound.
  Status late = s.TouchSession("h2", t0 + 15 * sec, t0 + 30 * sec);
  EXPECT_EQ(late.code(), Code::kNotFound) << late.ToString();
  EXPECT_EQ(s.TouchSession("nope", t0, t0 + sec).code(), Code::kNotFound);

  auto live = s.CountSessions(tok, t0 + 15 * sec);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(*live, 1);
  auto purged = s.PurgeExpiredSessions(t0 + 15 * sec);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1) << "h2 only";
  auto all = s.CountSessions(0, t0);  // at t0 both would be live: only h1 is left
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1);
  purged = s.PurgeExpiredSessions(t0 + 15 * sec);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 0);
}

TYPED_TEST_P(SessionContract, PerTokenCapEndsTheLeastRecentlySeen) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0, sec = this->kSecond;
  const int64_t a = this->Token("a-token"), b = this->Token("b-token");
  ASSERT_EQ(this->Create(this->Session("b1", b, t0), 3), 0);
  ASSERT_EQ(this->Create(this->Session("a1", a, t0 + 1 * sec), 3), 0);
  ASSERT_EQ(this->Create(this->Session("a2", a, t0 + 2 * sec), 3), 0);
  ASSERT_EQ(this->Create(this->Session("a3", a, t0 + 3 * sec), 3), 0);
  // a1 is used again, so a2 is now the least recently seen.
  ASSERT_TRUE(s.TouchSession("a1", t0 + 4 * sec, t0 + 3600 * sec).ok());
  EXPECT_EQ(this->Create(this->Session("a4", a, t0 + 5 * sec), 3), 1);
  const TimeUs now = t0 + 6 * sec;
  EXPECT_TRUE(this->Live("a1", now));
  EXPECT_FALSE(this->Live("a2", now));
  EXPECT_TRUE(this->Live("a3", now));
  EXPECT_TRUE(this->Live("a4", now));
  EXPECT_TRUE(this->Live("b1", now)) << "another token's session is never ended for room";
  auto n = s.CountSessions(a, now);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  // A lower cap ends as many as needed; below 1 counts as 1.
  EXPECT_EQ(this->Create(this->Session("a5", a, t0 + 7 * sec), 0), 3);
  n = s.CountSessions(a, t0 + 8 * sec);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(this->Live("a5", t0 + 8 * sec));
  EXPECT_TRUE(this->Live("b1", t0 + 8 * sec));
}

TYPED_TEST_P(SessionContract, ExpiredSessionsDoNotCountAgainstTheCap) {
  const TimeUs t0 = this->kT0, sec = this->kSecond;
  const int64_t a = this->Token("a-token"), b = this->Token("b-token");
  ASSERT_EQ(this->Create(this->Session("a1", a, t0, 10 * sec), 2), 0);
  ASSERT_EQ(this->Create(this->Session("a2", a, t0 + 1, 3600 * sec), 2), 0);
  ASSERT_EQ(this->Create(this->Session("b1", b, t0, 10 * sec), 2), 0);
  // a1 (and b1, another token's) expired: sweeping them makes room without ending a2.
  EXPECT_EQ(this->Create(this->Session("a3", a, t0 + 20 * sec), 2), 0);
  EXPECT_TRUE(this->Live("a2", t0 + 20 * sec));
  EXPECT_TRUE(this->Live("a3", t0 + 20 * sec));
  auto all = this->s().CountSessions(0, t0);  // counted at t0, where a1 and b1 were live
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 2) << "expired sessions of every token were deleted";
}

TYPED_TEST_P(SessionContract, SignOutAndRevocationEndSessions) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0;
  const int64_t a = this->Token("a-token"), b = this->Token("b-token");
  for (const char* h : {"a1", "a2", "a3"}) ASSERT_EQ(this->Create(this->Session(h, a, t0)), 0);
  ASSERT_EQ(this->Create(this->Session("b1", b, t0)), 0);
  ASSERT_EQ(this->Create(this->Session("b2", b, t0)), 0);

  ASSERT_TRUE(s.DeleteSession("a1").ok());
  EXPECT_FALSE(this->Live("a1", t0));
  EXPECT_EQ(s.DeleteSession("a1").code(), Code::kNotFound);

  auto n = s.DeleteTokenSessions(a);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_FALSE(this->Live("a2", t0));
  EXPECT_TRUE(this->Live("b1", t0));

  // Revoking a token ends its sessions in the store, for every node at once.
  ASSERT_TRUE(s.RevokeToken(b).ok());
  EXPECT_FALSE(this->Live("b1", t0));
  auto left = s.CountSessions(0, t0);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
}

TYPED_TEST_P(SessionContract, FlashIsTakenOnce) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0;
  const int64_t tok = this->Token("dave");
  ASSERT_EQ(this->Create(this->Session("h1", tok, t0)), 0);
  auto none = s.TakeSessionFlash("h1");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->message, "");
  ASSERT_TRUE(s.SetSessionFlash("h1", {"Saved it.", false}).ok());
  ASSERT_TRUE(s.SetSessionFlash("h1", {"It failed.", true}).ok()) << "replaces";
  auto found = s.FindSession("h1", t0);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->flash.message, "It failed.");
  auto taken = s.TakeSessionFlash("h1");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->message, "It failed.");
  EXPECT_TRUE(taken->error);
  auto again = s.TakeSessionFlash("h1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->message, "");
  EXPECT_FALSE(again->error);
  EXPECT_EQ(s.SetSessionFlash("nope", {"x", false}).code(), Code::kNotFound);
  auto gone = s.TakeSessionFlash("nope");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
}

TYPED_TEST_P(SessionContract, SessionsAreSharedAndSurviveReopen) {
  const TimeUs t0 = this->kT0;
  const int64_t tok = this->Token("erin");
  ASSERT_EQ(this->Create(this->Session("h1", tok, t0)), 0);
  {
    // Another node on the same data sees it, and its sign-out is seen here.
    auto other = this->OpenOne();
    ASSERT_TRUE(other);
    auto got = other->FindSession("h1", t0 + 1);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->csrf, "csrf-h1");
    auto n = other->CreateSession(this->Session("h2", tok, t0 + 2), 20, t0 + 2);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    other->Close();
  }
  EXPECT_TRUE(this->Live("h2", t0 + 3));
  this->Reopen();
  EXPECT_TRUE(this->Live("h1", t0 + 3));
  EXPECT_TRUE(this->Live("h2", t0 + 3));
}

// ---- worker heartbeats ----

TYPED_TEST_P(SessionContract, WorkersRegisterBeatAndList) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0, sec = this->kSecond;
  ASSERT_TRUE(s.RegisterWorker(this->Worker("w-b", t0)).ok());
  ASSERT_TRUE(s.RegisterWorker(this->Worker("w-a", t0 + sec)).ok());
  auto ws = this->Workers(t0);
  EXPECT_EQ(this->Names(ws), (std::vector<std::string>{"w-a", "w-b"})) << "ordered by name";
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].host, "host-w-a");
  EXPECT_EQ(ws[0].pid, 4242);
  EXPECT_EQ(ws[0].queue_names, (std::vector<std::string>{"default", "other"}));
  EXPECT_EQ(ws[0].birth_date, t0 + sec);
  EXPECT_EQ(ws[0].last_heartbeat, t0 + sec);
  EXPECT_EQ(ws[0].state, "idle");
  EXPECT_EQ(ws[0].successful_job_count, 0);

  WorkerInfo beat;
  beat.name = "w-b";
  beat.host = "ignored";
  beat.pid = 1;
  beat.birth_date = 7;
  beat.last_heartbeat = t0 + 5 * sec;
  beat.state = "busy";
  beat.successful_job_count = 12;
  beat.failed_job_count = 3;
  beat.total_working_time = 4'500'000;
  ASSERT_TRUE(s.HeartbeatWorker(beat).ok());
  ws = this->Workers(t0 + 4 * sec);
  ASSERT_EQ(this->Names(ws), (std::vector<std::string>{"w-b"})) << "w-a has not beat since";
  EXPECT_EQ(ws[0].state, "busy");
  EXPECT_EQ(ws[0].successful_job_count, 12);
  EXPECT_EQ(ws[0].failed_job_count, 3);
  EXPECT_EQ(ws[0].total_working_time, 4'500'000);
  EXPECT_EQ(ws[0].last_heartbeat, t0 + 5 * sec);
  EXPECT_EQ(ws[0].host, "host-w-b") << "registration fields are kept";
  EXPECT_EQ(ws[0].pid, 4242);
  EXPECT_EQ(ws[0].birth_date, t0);

  beat.name = "w-unknown";
  EXPECT_EQ(s.HeartbeatWorker(beat).code(), Code::kNotFound);
  EXPECT_EQ(s.RegisterWorker(this->Worker("", t0)).code(), Code::kInvalidArgument);
}

TYPED_TEST_P(SessionContract, StaleWorkersArePurgedAndDeregisteredOnesGone) {
  Store& s = this->s();
  const TimeUs t0 = this->kT0, sec = this->kSecond;
  ASSERT_TRUE(s.RegisterWorker(this->Worker("old", t0)).ok());
  ASSERT_TRUE(s.RegisterWorker(this->Worker("new", t0 + 10 * sec)).ok());
  auto n = s.PurgeStaleWorkers(t0 + 10 * sec);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(this->Names(this->Workers(0)), (std::vector<std::string>{"new"}));
  // A purged worker's next beat is refused; it registers again (replacing any record).
  WorkerInfo beat = this->Worker("old", t0 + 11 * sec);
  EXPECT_EQ(s.HeartbeatWorker(beat).code(), Code::kNotFound);
  ASSERT_TRUE(s.RegisterWorker(beat).ok());
  beat.pid = 99;
  ASSERT_TRUE(s.RegisterWorker(beat).ok());
  auto ws = this->Workers(0);
  ASSERT_EQ(this->Names(ws), (std::vector<std::string>{"new", "old"}));
  EXPECT_EQ(ws[1].pid, 99);

  ASSERT_TRUE(s.DeregisterWorker("old").ok());
  EXPECT_EQ(s.DeregisterWorker("old").code(), Code::kNotFound);
  {
    auto other = this->OpenOne();  // another node lists the same workers
    ASSERT_TRUE(other);
    auto listed = other->ListWorkers(0);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_EQ(this->Names(*listed), (std::vector<std::string>{"new"}));
    other->Close();
  }
  this->Reopen();
  EXPECT_EQ(this->Names(this->Workers(0)), (std::vector<std::string>{"new"}));
}

REGISTER_TYPED_TEST_SUITE_P(SessionContract, SessionRoundTripWithItsToken, CreateSessionRefusals,
                            ExpiryTouchAndPurge, PerTokenCapEndsTheLeastRecentlySeen,
                            ExpiredSessionsDoNotCountAgainstTheCap, SignOutAndRevocationEndSessions,
                            FlashIsTakenOnce, SessionsAreSharedAndSurviveReopen,
                            WorkersRegisterBeatAndList,
                            StaleWorkersArePurgedAndDeregisteredOnesGone);

}  // namespace herald::store_contract
