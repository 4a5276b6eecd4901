// Credentials and signatures through the REST API, end to end: a webhook whose
// additional_headers carry credentials delivers to a real receiver; read-only tokens then see the
// header names with "********" in place of the values (webhook API, task attempt log), admins
// see the values, and the webhook secret appears in no response at all.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "support/credentials.h"
#include "value/json.h"

namespace herald::testing {
namespace {

// The secret and the credential header values (each must never reach a read-only caller), and
// one harmless value.
using P = PlantedCredentials;

const char* kSite = R"({"event": "created", "object_type": "dcim.site", "username": "admin",
  "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6",
  "data": {"id": 4, "name": "Site 4"}, "snapshots": {"prechange": null, "postchange": null}})";

class RedactionTest : public ServerFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer({{"HERALD_DELIVERY_DEFAULT_TIMEOUT", "5"}}));
    auto ro = RunHerald({"token", "create", "--read-only", "--store", server_->store_url()});
    ASSERT_EQ(ro.exit_code, 0) << ro.err;
    ro_ = ro.out.substr(0, ro.out.find('\n'));
    ASSERT_EQ(ro_.size(), 40u) << ro.out;
  }

  std::string ro_;  // a read-only token (token_ is the admin's)
};

std::string Headers() {
  return std::string("Authorization: Bearer ") + P::kBearer + "\\nX-Api-Key: " + P::kApiKey +
         "\\nCookie: " + P::kCookie + "\\nX-Db-Password: " + P::kCustom +
         "\\n{{ 'X-Auth-Token' }}: " + P::kTemplated + "\\nX-Trace: " + P::kVisible;
}

TEST_F(RedactionTest, ReadOnlyCallersSeeHeaderNamesButNoCredentialsOrSignatures) {
  Receiver rx;
  // Credentials in the URL too: user info and a token query parameter (sent, never shown).
  std::string url = rx.url("/hook") + "?page=1&token=" + P::kUrlToken;
  url.replace(0, std::string("http://").size(),
              std::string("http://user:") + P::kUrlPassword + "@");
  auto created = Api("POST", Url("/api/extras/webhooks/"), token_,
                     R"({"name": "creds", "payload_url": ")" + url + R"(", "secret": ")" +
                         P::kSecret + R"(", "additional_headers": ")" + Headers() + R"("})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find(P::kSecret), std::string::npos) << "the secret is write-only";
  int64_t id = created.json().get("id")->as_int();
  auto rule = Api("POST", Url("/api/extras/event-rules/"), token_,
                  R"({"name": "r", "object_types": ["dcim.site"], "event_types": ["object_created"],
                      "action_object_id": )" +
                      std::to_string(id) + "}");
  ASSERT_EQ(rule.status, 201) << rule.body;
  auto ev = Api("POST", Url("/api/events/"), token_, kSite);
  ASSERT_EQ(ev.status, 202) << ev.body;
  ASSERT_TRUE(WaitFor([&] { return rx.count() >= 1; }, std::chrono::milliseconds(15000)))
      << server_->Stderr();
  // The receiver did get the credentials and a valid signature.
  auto got = rx.requests()[0];
  EXPECT_EQ(got.header("Authorization"), std::string("Bearer ") + P::kBearer);
  std::string signature = got.header("X-Hook-Signature");
  EXPECT_EQ(signature, HmacSha512Hex(P::kSecret, got.body));
  std::string task;
  ASSERT_TRUE(WaitFor([&] {
    auto tasks = Api("GET", Url("/api/core/background-tasks/?status=finished"), token_);
    if (tasks.status != 200 || tasks.json().get("count")->as_int() < 1) return false;
    task = tasks.json().get("results")->as_list()[0].get("id")->as_str();
    return true;
  })) << server_->Stderr();

  // Webhook: one, list, brief.
  for (const std::string& path :
       {"/api/extras/webhooks/" + std::to_string(id) + "/", std::string("/api/extras/webhooks/"),
        std::string("/api/extras/webhooks/?brief=1"), std::string("/api/extras/event-rules/")}) {
    auto ro = Api("GET", Url(path), ro_);
    ASSERT_EQ(ro.status, 200) << path;
    ExpectNoPlantedCredential(ro.body, "read-only GET " + path);
    auto admin = Api("GET", Url(path), token_);
    EXPECT_EQ(admin.body.find(P::kSecret), std::string::npos) << path;
  }
  auto ro_hook = Api("GET", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), ro_);
  EXPECT_EQ(ro_hook.json().get("additional_headers")->as_str(),
            "Authorization: ********\nX-Api-Key: ********\nCookie: ********\n"
            "X-Db-Password: ********\n{{ 'X-Auth-Token' }}: ********\nX-Trace: " +
                std::string(P::kVisible));
  EXPECT_EQ(ro_hook.json().get("payload_url")->as_str(),
            rx.url("/hook").replace(0, 7, "http://user:********@") + "?page=1&token=********");
  auto admin_hook = Api("GET", Url("/api/extras/webhooks/" + std::to_string(id) + "/"), token_);
  EXPECT_EQ(admin_hook.json().get("payload_url")->as_str(), url);
  // Filters and search see what the caller sees: a reader cannot probe a hidden value.
  for (const std::string& filter :
       {"payload_url=" + std::string(P::kUrlToken), "q=" + std::string(P::kUrlPassword),
        "q=" + std::string(P::kBearer)}) {
    auto probe = Api("GET", Url("/api/extras/webhooks/?" + filter), ro_);
    ASSERT_EQ(probe.status, 200) << probe.body;
    EXPECT_EQ(probe.json().get("count")->as_int(), 0) << filter;
    auto by_admin = Api("GET", Url("/api/extras/webhooks/?" + filter), token_);
    EXPECT_EQ(by_admin.json().get("count")->as_int(),
              filter.find(P::kBearer) == std::string::npos ? 1 : 0)
        << filter;
  }
  EXPECT_NE(admin_hook.json().get("additional_headers")->as_str().find(P::kBearer),
            std::string::npos);

  // Task detail: attempt_log[].request.headers.
  auto ro_task = Api("GET", Url("/api/core/background-tasks/" + task + "/"), ro_);
  ASSERT_EQ(ro_task.status, 200) << ro_task.body;
  ExpectNoPlantedCredential(ro_task.body, "read-only task detail");
  EXPECT_EQ(ro_task.body.find(signature), std::string::npos) << "signature shown to read-only";
  const Value& headers =
      *ro_task.json().get("attempt_log")->as_list()[0].get("request")->get("headers");
  EXPECT_EQ(headers.get("Authorization")->as_str(), "********");
  EXPECT_EQ(headers.get("X-Hook-Signature")->as_str(), "********");
  EXPECT_EQ(headers.get("X-Trace")->as_str(), P::kVisible);
  auto admin_task = Api("GET", Url("/api/core/background-tasks/" + task + "/"), token_);
  EXPECT_NE(admin_task.body.find(P::kBearer), std::string::npos);
  EXPECT_NE(admin_task.body.find(signature), std::string::npos);
  EXPECT_EQ(admin_task.body.find(P::kSecret), std::string::npos);

  // The UI over real HTTP: sign in read-only, look at the webhook and the task.
  std::string cookie = SignInToUi(server_->base(), ro_).cookie;
  ASSERT_FALSE(cookie.empty());
  for (const std::string& path :
       {"/webhooks/" + std::to_string(id), "/tasks/" + task,
        "/webhooks/" + std::to_string(id) + "/preview?object_type=dcim.site"}) {
    auto page = Http("GET", Url(path), "", {"Cookie: " + cookie});
    ASSERT_EQ(page.status, 200) << path << page.body;
    ExpectNoPlantedCredential(page.body, "read-only UI " + path);
    EXPECT_EQ(page.body.find(signature), std::string::npos) << path;
    EXPECT_NE(page.body.find("X-Api-Key"), std::string::npos) << "names stay visible: " << path;
  }
}

}  // namespace
}  // namespace herald::testing
