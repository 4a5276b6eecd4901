// In-process UI tests of what issue 8 hardened: read-only sessions see no signature and no
// credential (preview, webhook pages, task detail) and cannot send tests; the per-token session
// cap (a read-only token can no longer sign the admin out); the failed sign-in rate limit (it
// triggers, answers 429 and resets after the window); X-Forwarded-For believed only from a
// trusted proxy; the Secure cookie flag; session lifetimes; sessions in the store (shared by
// every handler on it and kept across restarts, only the id's hash stored, a use recorded at
// most once a minute, ended by revoking their token); and the pieces behind them (client
// addresses, CIDR lists, the bounded limiter table). Time is a FakeClock: nothing sleeps.
#include "common/clock.h"
#include "common/time.h"
#include "support/credentials.h"
#include "web/client_address.h"
#include "web/sign_in_limit.h"
#include "web_fixture.h"

namespace herald::web {
namespace {

using P = testing::PlantedCredentials;
using testing::ExpectNoPlantedCredential;

// A count, or -1 when the store failed.
int64_t N(const Result<int64_t>& r) { return r.ok() ? *r : -1; }

class WebSecurityTest : public WebTest {
 protected:
  FakeClock clock_;  // outlives web_ (reset in TearDown)
  // A signed webhook whose additional_headers hold credentials, plus one event to preview.
  int64_t MakeSignedWebhook() {
    MakeWebhookAndRule();
    Webhook w;
    w.name = "signed";
    w.payload_url = "http://127.0.0.1:9/signed";
    w.secret = P::kSecret;
    w.additional_headers = std::string("Authorization: Bearer ") + P::kBearer +
                           "\nX-Api-Key: " + P::kApiKey + "\nX-Trace: " + P::kVisible;
    auto cw = store_->CreateWebhook(w);
    EXPECT_TRUE(cw.ok());
    return cw.ok() ? cw->id : 0;
  }
  // Restarts the UI on clock_ with a limit of `max` failed sign-ins per minute, trusting
  // X-Forwarded-For from `trusted_proxies`.
  void RestartWithSignInLimit(int max, std::vector<std::string> trusted_proxies = {}) {
    WebOptions o;
    o.max_failed_sign_ins = max;
    o.failed_sign_in_window = std::chrono::seconds(60);
    o.clock = &clock_;
    o.trusted_proxies = std::move(trusted_proxies);
    Restart(o);
  }
  static std::string SignatureIn(const std::string& body) {
    std::smatch m;
    if (std::regex_search(body, m,
                          std::regex("X-Hook-Signature</th><td class=\"mono\">([0-9a-f]{128})")))
      return m[1].str();
    return "";
  }
};

TEST_F(WebSecurityTest, ReadOnlyPreviewShowsNoSignatureNorCredentials) {
  int64_t hook = MakeSignedWebhook();
  CommitTasks(1);
  std::string url = "/webhooks/" + std::to_string(hook) + "/preview?object_type=dcim.device";
  auto [asid, acsrf] = SignIn(admin_key_);
  auto admin = Call("GET", url, "", asid);
  ASSERT_EQ(admin.status, 200);
  std::string signature = SignatureIn(admin.body);
  ASSERT_EQ(signature.size(), 128u) << "admins see the signature";
  EXPECT_NE(admin.body.find(P::kBearer), std::string::npos) << "admins see credentials";
  EXPECT_NE(admin.body.find("id=\"send-test\""), std::string::npos);
  EXPECT_EQ(admin.body.find(P::kSecret), std::string::npos) << "the secret is never shown";

  auto [sid, csrf] = SignIn(ro_key_);
  auto ro = Call("GET", url, "", sid);
  ASSERT_EQ(ro.status, 200);
  EXPECT_EQ(ro.body.find(signature), std::string::npos);
  EXPECT_EQ(SignatureIn(ro.body), "");
  EXPECT_NE(ro.body.find("X-Hook-Signature</th><td class=\"mono\">********"), std::string::npos);
  EXPECT_NE(ro.body.find("id=\"signature-hidden\""), std::string::npos);
  EXPECT_NE(ro.body.find("Authorization</th><td class=\"mono\">********"), std::string::npos);
  EXPECT_NE(ro.body.find(P::kVisible), std::string::npos) << "harmless headers stay visible";
  EXPECT_EQ(ro.body.find("id=\"send-test\""), std::string::npos) << "no send test button";
  ExpectNoPlantedCredential(ro.body, "read-only preview");

  // A pasted body: the forgery the issue describes. Still no signature for read-only.
  std::string pasted = PercentEncode(
      R"({"event": "created", "object_type": "dcim.device", "data": {"id": 99, "name": "forged"}})");
  auto forged = Call("POST", "/webhooks/" + std::to_string(hook) + "/preview",
                     "csrf=" + csrf + "&action=preview&sample_json=" + pasted, sid);
  ASSERT_EQ(forged.status, 200);
  EXPECT_NE(forged.body.find("forged"), std::string::npos);
  EXPECT_EQ(SignatureIn(forged.body), "");
  ExpectNoPlantedCredential(forged.body, "read-only pasted preview");
  // Send test needs admin.
  auto send = Call("POST", "/webhooks/" + std::to_string(hook) + "/preview",
                   "csrf=" + csrf + "&action=send&sample_json=" + pasted, sid);
  EXPECT_EQ(send.status, 403);
  EXPECT_EQ(SignatureIn(send.body), "");
}

TEST_F(WebSecurityTest, ReadOnlyPreviewHidesTheStandardWebhooksSignature) {
  int64_t hook = MakeSignedWebhook();
  CommitTasks(1);
  auto w = store_->GetWebhook(hook);
  ASSERT_TRUE(w.ok());
  w->signature_scheme = "both";
  ASSERT_TRUE(store_->UpdateWebhook(*w).ok());
  std::string url = "/webhooks/" + std::to_string(hook) + "/preview?object_type=dcim.device";
  const std::regex standard("webhook-signature</th><td class=\"mono\">(v1,[A-Za-z0-9+/=]{44})");
  auto [asid, acsrf] = SignIn(admin_key_);
  auto admin = Call("GET", url, "", asid);
  ASSERT_EQ(admin.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(admin.body, m, standard)) << "admins see it";
  const std::string signature = m[1].str();
  EXPECT_NE(admin.body.find("webhook-timestamp</th>"), std::string::npos);
  auto [sid, csrf] = SignIn(ro_key_);
  auto ro = Call("GET", url, "", sid);
  ASSERT_EQ(ro.status, 200);
  EXPECT_EQ(ro.body.find(signature), std::string::npos);
  EXPECT_NE(ro.body.find("webhook-signature</th><td class=\"mono\">********"), std::string::npos);
  EXPECT_NE(ro.body.find("id=\"signature-hidden\""), std::string::npos);
  EXPECT_NE(ro.body.find("webhook-id</th>"), std::string::npos) << "the id is no secret";
}

TEST_F(WebSecurityTest, ReadOnlyWebhookAndTaskPagesHideCredentials) {
  int64_t hook = MakeSignedWebhook();
  // A task of the signed webhook with a recorded attempt whose request holds the credentials.
  NewEvent ne;
  ne.event.event = "created";
  ne.event.event_type = "object_created";
  ne.event.object_type = "dcim.device";
  ne.event.data = *ParseJson(R"({"id": 1, "name": "sw1"})");
  Task t;
  t.rule_id = 1;
  t.webhook_id = hook;
  t.webhook_name = "signed";
  t.object_type = "dcim.device";
  t.event_type = "object_created";
  ne.tasks = {t, t};  // one delivered, one still queued (rendered on the page)
  auto c = store_->CommitEventsSync({ne});
  ASSERT_TRUE(c.ok());
  auto ids = (*c)[0].task_ids;
  auto leased = store_->LeaseTasks("w1", 1, NowUs(), 60'000'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  std::string sent = (*leased)[0].id;
  std::string queued = sent == ids[0] ? ids[1] : ids[0];
  AttemptOutcome o = OkAttempt("http://127.0.0.1:9/signed");
  o.attempt.request_headers = std::string(R"({"Authorization": "Bearer )") + P::kBearer +
                              R"(", "X-Api-Key": ")" + P::kApiKey + R"(", "X-Trace": ")" +
                              P::kVisible + R"(", "X-Hook-Signature": "abcdef0123"})";
  o.attempt.request_body = "{}";
  ASSERT_TRUE(store_->RecordAttempt(sent, "w1", o).ok());

  auto [sid, csrf] = SignIn(ro_key_);
  auto [asid, acsrf] = SignIn(admin_key_);
  for (const std::string& path : {"/webhooks/" + std::to_string(hook), std::string("/webhooks/"),
                                  "/tasks/" + sent, "/tasks/" + queued}) {
    auto ro = Call("GET", path, "", sid);
    ASSERT_EQ(ro.status, 200) << path;
    ExpectNoPlantedCredential(ro.body, "read-only " + path);
    EXPECT_EQ(ro.body.find("abcdef0123"), std::string::npos) << path;
    auto admin = Call("GET", path, "", asid);
    EXPECT_EQ(admin.body.find(P::kSecret), std::string::npos) << path;
    if (path != "/webhooks/") {
      EXPECT_NE(ro.body.find("X-Api-Key"), std::string::npos) << path;
      EXPECT_NE(ro.body.find(P::kVisible), std::string::npos) << path;
      EXPECT_NE(admin.body.find(P::kApiKey), std::string::npos) << "admins see it: " << path;
    }
  }
  EXPECT_NE(Call("GET", "/webhooks/" + std::to_string(hook), "", sid)
                .body.find("Authorization: ********"),
            std::string::npos);
  const std::string edit_form =
      Call("GET", "/webhooks/" + std::to_string(hook) + "/edit", "", asid).body;
  EXPECT_NE(edit_form.find(P::kBearer), std::string::npos)
      << "the admin's edit form keeps the real text";
  // The secret is write-only, even on the admin's edit form and when a rejected form is shown
  // again with what was typed.
  EXPECT_EQ(edit_form.find(P::kSecret), std::string::npos);
  auto rejected =
      Call("POST", "/webhooks/" + std::to_string(hook) + "/edit",
           "csrf=" + acsrf + "&name=signed&payload_url=ftp%3A%2F%2Fx&secret=typed-S3CRET", asid);
  EXPECT_EQ(rejected.status, 400);
  EXPECT_EQ(rejected.body.find("typed-S3CRET"), std::string::npos);
  EXPECT_EQ(rejected.body.find(P::kSecret), std::string::npos);
}

TEST_F(WebSecurityTest, ReadOnlyTokenCannotSignTheAdminOut) {
  auto [asid, acsrf] = SignIn(admin_key_);
  // 10,001 sign-ins filled the old global in-memory table and evicted the admin's session.
  // Sessions now live in the store, capped per token only: many times the cap is enough to
  // show that a token's sign-ins end only its own sessions (each one is a durable write).
  std::string first_ro;
  for (size_t i = 0; i < 5 * kMaxSessionsPerToken + 1; ++i) {
    auto r = Call("POST", "/login", "token=" + ro_key_ + "&next=%2F");
    ASSERT_EQ(r.status, 303) << i;
    if (i == 0) first_ro = HeaderOf(r, "Set-Cookie").substr(15, 64);
  }
  EXPECT_EQ(Call("GET", "/", "", asid).status, 200) << "the admin is still signed in";
  EXPECT_EQ(Call("GET", "/", "", first_ro).status, 303) << "the read-only token's oldest went";
}

TEST_F(WebSecurityTest, SessionsAreCappedPerTokenLeastRecentlyUsedFirst) {
  WebOptions o;
  o.max_sessions_per_token = 3;
  o.clock = &clock_;
  Restart(o);
  auto [a1, c1] = SignIn(admin_key_);
  clock_.Advance(std::chrono::seconds(1));
  auto [a2, c2] = SignIn(admin_key_);
  clock_.Advance(std::chrono::seconds(1));
  auto [a3, c3] = SignIn(admin_key_);
  // A use is recorded at most once per kSessionTouchInterval: a1 is now the most recent.
  clock_.Advance(kSessionTouchInterval);
  EXPECT_EQ(Call("GET", "/", "", a1).status, 200);
  auto [a4, c4] = SignIn(admin_key_);
  EXPECT_EQ(Call("GET", "/", "", a2).status, 303) << "least recently used session ended";
  for (const auto& s : {a1, a3, a4}) EXPECT_EQ(Call("GET", "/", "", s).status, 200);
}

TEST_F(WebSecurityTest, UseIsRecordedAtMostOncePerInterval) {
  WebOptions o;
  o.clock = &clock_;
  Restart(o);
  std::string sid = SignIn(admin_key_).first;
  const std::string hash = HashSessionId(sid);
  auto last_seen = [&] {
    auto u = store_->FindSession(hash, clock_.NowUs());
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return u.ok() ? u->last_seen_at : 0;
  };
  const TimeUs signed_in = last_seen();
  clock_.Advance(kSessionTouchInterval - std::chrono::seconds(1));
  EXPECT_EQ(Call("GET", "/", "", sid).status, 200);
  EXPECT_EQ(last_seen(), signed_in) << "used again within the interval: nothing written";
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Call("GET", "/", "", sid).status, 200);
  EXPECT_EQ(last_seen(), clock_.NowUs()) << "a use the interval after the last one is recorded";
}

TEST_F(WebSecurityTest, TheStoreKeepsOnlyTheSessionIdsHash) {
  std::string sid = SignIn(admin_key_).first;
  const std::string hash = HashSessionId(sid);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_NE(hash, sid);
  EXPECT_TRUE(store_->FindSession(hash, NowUs()).ok());
  EXPECT_EQ(store_->FindSession(sid, NowUs()).status().code(), Code::kNotFound)
      << "the cookie value is no key of the store";
  // A cookie holding the hash (as a copy of the database would give) is no session.
  EXPECT_EQ(Call("GET", "/", "", hash).status, 303);
}

TEST_F(WebSecurityTest, SessionsLiveInTheStoreAcrossHandlersAndRestarts) {
  auto [sid, csrf] = SignIn(admin_key_);
  // A second UI on the same store (another node): the session and its CSRF token work there.
  Web other(*store_, api_->tokens(), nullptr, WebOptions{});
  auto call_other = [&](const std::string& method, const std::string& target,
                        const std::string& body) {
    http::Request req = testing::MakeRequest(method, target, body);
    req.remote = "127.0.0.1";
    req.headers = {{"Host", "127.0.0.1:8080"}, {"Cookie", "herald_session=" + sid}};
    if (method == "POST")
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return testing::CallHandler(
        [&other](http::Request&& r, http::Responder respond) {
          other.Handle(std::move(r), std::move(respond));
        },
        std::move(req), std::chrono::seconds(20));
  };
  EXPECT_EQ(call_other("GET", "/", "").status, 200);
  auto requeue = call_other("POST", "/tasks/requeue-failed", "csrf=" + csrf);
  EXPECT_EQ(requeue.status, 303) << requeue.body;
  // Its flash message is shown once, by whichever handler renders the next page.
  auto shown = Call("GET", "/", "", sid);
  EXPECT_NE(shown.body.find("Requeued 0 failed tasks."), std::string::npos) << shown.body;
  EXPECT_EQ(call_other("GET", "/", "").body.find("Requeued 0"), std::string::npos);
  // A restart keeps the session; signing out through one handler ends it for the other.
  Restart(WebOptions{});
  EXPECT_EQ(Call("GET", "/", "", sid).status, 200);
  EXPECT_EQ(call_other("POST", "/logout", "csrf=" + csrf).status, 303);
  EXPECT_EQ(Call("GET", "/", "", sid).status, 303);
}

TEST_F(WebSecurityTest, RevokingATokenEndsItsSessions) {
  std::string sid = SignIn(ro_key_).first;
  std::string admin = SignIn(admin_key_).first;
  auto ro = store_->FindTokenByHash(HashTokenKey(ro_key_));
  ASSERT_TRUE(ro.ok());
  ASSERT_TRUE(store_->RevokeToken(ro->id).ok());
  EXPECT_EQ(Call("GET", "/", "", sid).status, 303);
  EXPECT_EQ(N(store_->CountSessions(ro->id, NowUs())), 0);
  EXPECT_EQ(Call("GET", "/", "", admin).status, 200) << "other tokens' sessions stay";
  // Signing in again while the token cache still trusts the key: the store refuses the session.
  auto again = Call("POST", "/login", "token=" + ro_key_);
  EXPECT_EQ(again.status, 403);
  EXPECT_NE(again.body.find("This token is not valid"), std::string::npos) << again.body;
  EXPECT_EQ(HeaderOf(again, "Set-Cookie"), "");
}

TEST_F(WebSecurityTest, IdleSessionsExpireAndUseKeepsThemAlive) {
  WebOptions o;
  o.clock = &clock_;
  Restart(o);
  auto [idle, idle_csrf] = SignIn(admin_key_);
  auto [busy, busy_csrf] = SignIn(admin_key_);
  clock_.Advance(kSessionIdleTimeout);
  EXPECT_EQ(Call("GET", "/", "", busy).status, 200) << "unused for exactly the idle timeout";
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Call("GET", "/", "", busy).status, 200) << "used a second ago";
  EXPECT_EQ(Call("GET", "/", "", idle).status, 303) << "unused past the idle timeout";
  auto expired = Call("POST", "/logout", "csrf=" + idle_csrf, idle);
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("Your session has expired"), std::string::npos) << expired.body;
}

TEST_F(WebSecurityTest, SessionsEndAtTheirMaximumAgeHoweverActive) {
  WebOptions o;
  o.clock = &clock_;
  Restart(o);
  std::string sid = SignIn(admin_key_).first;
  const auto step = kSessionIdleTimeout - std::chrono::minutes(1);
  auto age = std::chrono::steady_clock::duration::zero();
  while (age + step <= kSessionMaxAge) {
    clock_.Advance(step);
    age += step;
    ASSERT_EQ(Call("GET", "/", "", sid).status, 200)
        << "age " << std::chrono::duration_cast<std::chrono::minutes>(age).count() << " min";
  }
  clock_.Advance(kSessionMaxAge - age + std::chrono::seconds(1));
  EXPECT_EQ(Call("GET", "/", "", sid).status, 303) << "older than the maximum age";
}

// The API tokens of the fixture, admin first.
std::pair<ApiToken, ApiToken> AdminAndReadOnly(Store& store, const std::string& admin,
                                               const std::string& ro) {
  auto a = store.FindTokenByHash(HashTokenKey(admin));
  auto b = store.FindTokenByHash(HashTokenKey(ro));
  EXPECT_TRUE(a.ok() && b.ok());
  return {a.ok() ? *a : ApiToken{}, b.ok() ? *b : ApiToken{}};
}

TEST_F(WebSecurityTest, ExpiredSessionsAreSweptOnSignIn) {
  SessionStore sessions(*store_, 5, clock_);
  auto [a, b] = AdminAndReadOnly(*store_, admin_key_, ro_key_);
  ASSERT_TRUE(sessions.Create(a).ok());
  ASSERT_TRUE(sessions.Create(b).ok());
  clock_.Advance(kSessionIdleTimeout + std::chrono::seconds(1));
  EXPECT_EQ(N(store_->CountSessions(0, 0)), 2) << "both still stored";
  auto fresh = sessions.Create(b);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(N(store_->CountSessions(0, 0)), 1)
      << "both old sessions went, whichever token they belong to";
  EXPECT_TRUE(sessions.Find(fresh->id).ok());
}

TEST_F(WebSecurityTest, SessionStoreCountsPerToken) {
  SessionStore sessions(*store_, 2, clock_);
  auto [a, b] = AdminAndReadOnly(*store_, admin_key_, ro_key_);
  for (const ApiToken* t : {&a, &a, &a, &b}) {
    ASSERT_TRUE(sessions.Create(*t).ok());
    clock_.Advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(N(sessions.Count(a.id)), 2);
  EXPECT_EQ(N(sessions.Count(b.id)), 1);
  EXPECT_EQ(N(sessions.Count()), 3);
  EXPECT_EQ(sessions.Find("").status().code(), Code::kNotFound);
  EXPECT_EQ(sessions.Find(RandomHex(32)).status().code(), Code::kNotFound);
}

TEST_F(WebSecurityTest, FailedSignInsAreRateLimitedPerClientAndReset) {
  RestartWithSignInLimit(3);
  const std::string ip = "198.51.100.7";
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(Call("POST", "/login", "token=wrong" + std::to_string(i), "", "", ip).status, 403);
  // Limited: even a valid token is refused, with a clear message and Retry-After.
  auto limited = Call("POST", "/login", "token=" + admin_key_, "", "", ip);
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find("Too many failed sign-ins"), std::string::npos);
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "60");
  EXPECT_EQ(HeaderOf(limited, "Set-Cookie"), "");
  // Another client is not affected.
  EXPECT_EQ(Call("POST", "/login", "token=" + admin_key_, "", "", "198.51.100.8").status, 303);
  clock_.Advance(std::chrono::seconds(45));
  EXPECT_EQ(HeaderOf(Call("POST", "/login", "token=" + admin_key_, "", "", ip), "Retry-After"),
            "15");
  // The window ends: the address may try again, and has a fresh count.
  clock_.Advance(std::chrono::seconds(16));
  EXPECT_EQ(Call("POST", "/login", "token=" + admin_key_, "", "", ip).status, 303);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("POST", "/login", "token=x", "", "", ip).status, 403);
  EXPECT_EQ(Call("POST", "/login", "token=x", "", "", ip).status, 429);
  // IPv6 clients count per /64.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(
        Call("POST", "/login", "token=x", "", "", "2001:db8:1:2::" + std::to_string(i + 1)).status,
        403);
  EXPECT_EQ(Call("POST", "/login", "token=x", "", "", "2001:db8:1:2:ffff::9").status, 429);
  EXPECT_EQ(Call("POST", "/login", "token=" + admin_key_, "", "", "2001:db8:1:3::1").status, 303);
}

TEST_F(WebSecurityTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  RestartWithSignInLimit(2, {"10.0.0.0/8", "::1"});
  auto login = [&](const std::string& token, const std::string& peer, const std::string& xff) {
    std::vector<std::pair<std::string, std::string>> h;
    if (!xff.empty()) h.emplace_back("X-Forwarded-For", xff);
    return Call("POST", "/login", "token=" + token, "", "", peer, h).status;
  };
  // Behind the trusted proxy: each client is limited on its own.
  EXPECT_EQ(login("x", "10.1.2.3", "203.0.113.9"), 403);
  EXPECT_EQ(login("x", "10.9.9.9", "203.0.113.9"), 403);
  EXPECT_EQ(login(admin_key_, "10.1.2.3", "203.0.113.9"), 429);
  EXPECT_EQ(login(admin_key_, "10.1.2.3", "203.0.113.10"), 303) << "other clients still get in";
  // The right-most untrusted entry is the client; what the client wrote to its left is ignored.
  EXPECT_EQ(login(admin_key_, "10.1.2.3", "198.51.100.1, 203.0.113.9"), 429);
  EXPECT_EQ(login(admin_key_, "10.1.2.3", "203.0.113.9, 10.4.4.4"), 429) << "trusted hops skipped";
  // An untrusted peer's header is ignored: its failures count against the peer, whatever it says.
  EXPECT_EQ(login("x", "192.0.2.1", "203.0.113.20"), 403);
  EXPECT_EQ(login("x", "192.0.2.1", "203.0.113.21"), 403);
  EXPECT_EQ(login(admin_key_, "192.0.2.1", "203.0.113.22"), 429);
  EXPECT_EQ(login(admin_key_, "10.1.2.3", "203.0.113.20"), 303) << "the spoofed address is clean";
}

TEST(WebClientAddress, ParsesNetworksAndPicksTheClient) {
  auto nets =
      NetworkList::Parse({"10.0.0.0/8", " 192.168.1.1 ", "fd00::/8", "::ffff:172.16.0.0/108"});
  ASSERT_TRUE(nets.ok()) << nets.status().ToString();
  for (const char* in : {"10.255.0.1", "::ffff:10.0.0.1", "192.168.1.1", "fd12::1", "172.16.3.4"})
    EXPECT_TRUE(nets->Contains(*ParseIpAddress(in))) << in;
  for (const char* out : {"192.168.1.2", "fe80::1", "11.0.0.1"})
    EXPECT_FALSE(nets->Contains(*ParseIpAddress(out))) << out;
  for (const char* bad : {"10.0.0.0/33", "nope", "1.2.3.4/", "::/129", "1.2.3.4/x", "300.1.1.1"})
    EXPECT_FALSE(NetworkList::Parse({bad}).ok()) << bad;
  EXPECT_TRUE(NetworkList::Parse({"", "0.0.0.0/0"}).ok());

  http::Request r;
  r.remote = "10.0.0.5";
  r.headers = {{"X-Forwarded-For", "1.1.1.1, 2.2.2.2"}, {"x-forwarded-for", "10.0.0.9"}};
  EXPECT_EQ(ClientAddress(r, *nets), "2.2.2.2");
  EXPECT_EQ(ClientAddress(r, NetworkList()), "10.0.0.5") << "no trusted proxies: the peer";
  r.headers = {{"X-Forwarded-For", "garbage, 10.0.0.7"}};
  EXPECT_EQ(ClientAddress(r, *nets), "10.0.0.7") << "stops at garbage, keeps the last good hop";
  r.headers = {};
  EXPECT_EQ(ClientAddress(r, *nets), "10.0.0.5");
  r.remote = "::ffff:8.8.8.8";
  r.headers = {{"X-Forwarded-For", "1.1.1.1"}};
  EXPECT_EQ(ClientAddress(r, *nets), "8.8.8.8");
  EXPECT_EQ(ClientKey("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::/64");
  EXPECT_EQ(ClientKey("192.0.2.1"), "192.0.2.1");
}

TEST(WebSignInLimiter, TableStaysBounded) {
  SignInLimiter l(1, std::chrono::seconds(60), 5);
  auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  for (int i = 0; i < 100; ++i)
    l.RecordFailure("203.0.113." + std::to_string(i), t0 + std::chrono::seconds(i % 30));
  EXPECT_LE(l.size(), 5u);
  EXPECT_GT(l.RetryAfter("203.0.113.99", t0 + std::chrono::seconds(40)).count(), 0);
  // Expired entries go first when room is needed, and a lookup after the window clears one.
  EXPECT_EQ(l.RetryAfter("203.0.113.99", t0 + std::chrono::seconds(200)).count(), 0);
  EXPECT_LE(l.size(), 4u);
}

TEST_F(WebSecurityTest, SecureCookieFlagFollowsPublicUrl) {
  auto plain = Call("POST", "/login", "token=" + admin_key_);
  EXPECT_EQ(HeaderOf(plain, "Set-Cookie").find("Secure"), std::string::npos);
  WebOptions o;
  o.public_url = "HTTPS://herald.example.com";
  Restart(o);
  auto r = Call("POST", "/login", "token=" + admin_key_);
  ASSERT_EQ(r.status, 303);
  std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  std::string sid = cookie.substr(15, 64);
  auto page = Call("GET", "/", "", sid);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(page.body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")));
  auto out = Call("POST", "/logout", "csrf=" + m[1].str(), sid);
  EXPECT_NE(HeaderOf(out, "Set-Cookie").find("; Secure"), std::string::npos);
  EXPECT_NE(HeaderOf(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
}

}  // namespace
}  // namespace herald::web
