// Signatures end to end: herald serve delivers to a real loopback receiver with the standard and
// both schemes, with a secret being rotated, and `herald signature verify` (the verifier
// receivers are pointed to) checks what arrived: with the current secret, with the previous one
// while it signs, and not with a wrong one, a tampered body or a stale clock. Also the published
// Standard Webhooks test vector through the CLI, and the API's generate-secret.
#include <gtest/gtest.h>

#include <ctime>

#include "server_fixture.h"
#include "support/files.h"
#include "value/json.h"

namespace herald::testing {
namespace {

constexpr const char* kCurrent = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// 32 bytes of 'p', base64.
constexpr const char* kPrevious = "whsec_cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=";

class SignatureTest : public ServerFixture {
 protected:
  void SetUp() override { StartServer({{"HERALD_DELIVERY_DEFAULT_TIMEOUT", "5"}}); }

  // A webhook to `url` with `fields` (JSON members after the URL), a rule for it and one event;
  // the delivered request once its task finished.
  Receiver::Request DeliverOne(Receiver& rx, const std::string& fields, std::string* task_id) {
    static int n = 0;
    auto w = Post("/api/extras/webhooks/", R"({"name": "sig )" + std::to_string(n) +
                                               R"(", "payload_url": ")" + rx.url() + "\", " +
                                               fields + "}");
    EXPECT_EQ(w.status, 201) << w.body;
    auto r = Post("/api/extras/event-rules/",
                  R"({"name": "sig rule )" + std::to_string(n++) +
                      R"(", "object_types": ["dcim.site"], "event_types": ["object_created"],
                          "action_object_id": )" +
                      std::to_string(w.json().get("id")->as_int()) + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    const size_t before = rx.count();
    auto e = Post("/api/events/", FreshEvent(kSiteCreatedEvent));
    EXPECT_EQ(e.status, 202) << e.body;
    EXPECT_TRUE(WaitFor([&] { return rx.count() > before; })) << server_->Stderr();
    auto reqs = rx.requests();
    if (reqs.size() <= before) return {};
    *task_id = reqs.back().header("X-Herald-Task");
    return reqs.back();
  }

  // `herald signature verify` on a received request with `secret`; `extra` adds options.
  RunResult Verify(const Receiver::Request& r, const std::string& secret,
                   std::vector<std::string> extra = {}) {
    const std::string body = dir_.File("body-" + std::to_string(files_++));
    EXPECT_TRUE(WriteFile(body, r.body));
    std::vector<std::string> args = {"signature", "verify", "--secret", secret, "--body", body};
    for (const char* name :
         {"webhook-id", "webhook-timestamp", "webhook-signature", "X-Hook-Signature"}) {
      std::string v = r.header(name);
      if (!v.empty()) args.insert(args.end(), {"--header", std::string(name) + ": " + v});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return RunHerald(args);
  }

  HttpResult Patch(const std::string& path, const std::string& body) const {
    return Api("PATCH", Url(path), token_, body, "application/json");
  }

  int files_ = 0;
};

TEST_F(SignatureTest, StandardSchemeHeadersVerify) {
  Receiver rx;
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  std::string task;
  auto r = DeliverOne(
      rx, R"("signature_scheme": "standard", "secret": ")" + std::string(kCurrent) + "\"", &task);
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  ASSERT_FALSE(task.empty());
  EXPECT_EQ(r.header("webhook-id"), task) << "the task id is the message id";
  const int64_t ts = std::stoll(r.header("webhook-timestamp"));
  EXPECT_LE(before, ts);
  EXPECT_LE(ts, after);
  EXPECT_EQ(r.header("webhook-signature").rfind("v1,", 0), 0u);
  EXPECT_EQ(r.header("webhook-signature").find(' '), std::string::npos) << "one secret, one";
  EXPECT_EQ(r.header("X-Hook-Signature"), "") << "standard only";

  RunResult ok = Verify(r, kCurrent);
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(ok.out, "signature valid (standard scheme)\n");
  RunResult wrong = Verify(r, kPrevious);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("no signature in webhook-signature matches"), std::string::npos)
      << wrong.err;
  Receiver::Request tampered = r;
  tampered.body += " ";
  EXPECT_EQ(Verify(tampered, kCurrent).exit_code, 1);
  // A receiver whose clock is an hour ahead refuses it as a replay; a wider tolerance accepts.
  const std::string later = std::to_string(ts + 3600);
  RunResult stale = Verify(r, kCurrent, {"--now", later});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("older than the tolerance of 300 s"), std::string::npos) << stale.err;
  EXPECT_EQ(Verify(r, kCurrent, {"--now", later, "--tolerance", "3601"}).exit_code, 0);
}

TEST_F(SignatureTest, ARetryKeepsTheIdAndIsSignedAgain) {
  Receiver rx;
  rx.FailNext(1, 503);
  std::string task;
  DeliverOne(rx,
             R"("signature_scheme": "standard", "secret": ")" + std::string(kCurrent) +
                 R"(", "max_attempts": 2, "retry_policy": "fixed", "retry_interval": 0)",
             &task);
  ASSERT_TRUE(WaitFor([&] { return rx.count() >= 2; })) << server_->Stderr();
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("webhook-id"), task);
  EXPECT_EQ(reqs[1].header("webhook-id"), task) << "the id is an idempotency key";
  EXPECT_LE(std::stoll(reqs[0].header("webhook-timestamp")),
            std::stoll(reqs[1].header("webhook-timestamp")));
  for (const auto& r : reqs) EXPECT_EQ(Verify(r, kCurrent).exit_code, 0);
}

TEST_F(SignatureTest, BothSchemesWithRotationSignWithEachSecret) {
  Receiver rx;
  std::string task;
  auto r = DeliverOne(rx,
                      R"("signature_scheme": "both", "secret": ")" + std::string(kCurrent) +
                          R"(", "previous_secret": ")" + kPrevious +
                          R"(", "previous_secret_expires": "2999-01-01T00:00:00Z")",
                      &task);
  ASSERT_FALSE(task.empty());
  const std::string sigs = r.header("webhook-signature");
  ASSERT_NE(sigs.find(' '), std::string::npos) << "current and previous: " << sigs;
  EXPECT_EQ(Verify(r, kCurrent).exit_code, 0);
  EXPECT_EQ(Verify(r, kPrevious).exit_code, 0) << "the previous secret still verifies";
  // X-Hook-Signature: the current secret's text only, checked alone (NetBox's receivers).
  Receiver::Request netbox_only = r;
  netbox_only.headers.clear();
  netbox_only.headers.emplace_back("X-Hook-Signature", r.header("X-Hook-Signature"));
  RunResult hook = Verify(netbox_only, kCurrent);
  EXPECT_EQ(hook.exit_code, 0) << hook.err;
  EXPECT_EQ(hook.out, "signature valid (netbox scheme)\n");
  EXPECT_EQ(r.header("X-Hook-Signature"), HmacSha512Hex(kCurrent, r.body));
  EXPECT_EQ(Verify(netbox_only, kPrevious).exit_code, 1);

  // Once expired, the previous secret no longer signs.
  auto list = Get("/api/extras/webhooks/?signature_scheme=both");
  ASSERT_EQ(list.status, 200) << list.body;
  const int64_t id = list.json().get("results")->as_list().at(0).get("id")->as_int();
  auto patched = Patch("/api/extras/webhooks/" + std::to_string(id) + "/",
                       R"({"previous_secret_expires": "2000-01-01T00:00:00Z"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(patched.json().get("previous_secret")->is_none());
  EXPECT_TRUE(patched.json().get("previous_secret_set")->as_bool());
  const size_t before = rx.count();
  auto e = Post("/api/events/", FreshEvent(kSiteCreatedEvent));
  ASSERT_EQ(e.status, 202);
  ASSERT_TRUE(WaitFor([&] { return rx.count() > before; }));
  Receiver::Request again = rx.requests().back();
  EXPECT_EQ(again.header("webhook-signature").find(' '), std::string::npos);
  EXPECT_EQ(Verify(again, kCurrent).exit_code, 0);
  EXPECT_EQ(Verify(again, kPrevious).exit_code, 1);
}

TEST_F(SignatureTest, CliVerifiesThePublishedVectorAndGeneratesSecrets) {
  Receiver::Request vector;
  vector.body = R"({"test": 2432232314})";
  vector.headers = {{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                    {"webhook-timestamp", "1614265330"},
                    {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  EXPECT_EQ(Verify(vector, kCurrent, {"--now", "1614265330"}).exit_code, 0);
  RunResult now = Verify(vector, kCurrent);
  EXPECT_EQ(now.exit_code, 1) << "signed in 2021: too old today";
  RunResult missing = RunHerald({"signature", "verify", "--secret", "s", "--body", "/nonexistent",
                                 "--header", "X-Hook-Signature: 00"});
  EXPECT_EQ(missing.exit_code, 2);

  RunResult gen = RunHerald({"webhooks", "generate-secret"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  EXPECT_EQ(gen.out.rfind("whsec_", 0), 0u) << gen.out;
  EXPECT_EQ(gen.out.size(), 6u + 44u + 1u) << "32 bytes in base64, and a newline";

  auto api = Post("/api/extras/webhooks/generate-secret/", "{}");
  ASSERT_EQ(api.status, 200) << api.body;
  const std::string secret = api.json().get("secret")->as_str();
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_NE(secret + "\n", gen.out);
  // It is accepted as a standard secret.
  auto w = Post("/api/extras/webhooks/", R"({"name": "gen", "payload_url": "http://127.0.0.1:9/",
                "signature_scheme": "standard", "secret": ")" +
                                             secret + "\"}");
  EXPECT_EQ(w.status, 201) << w.body;
}

}  // namespace
}  // namespace herald::testing
