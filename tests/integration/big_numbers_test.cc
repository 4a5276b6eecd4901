// Ints beyond 64 bits end to end: an event posted with them is stored, matched by a condition on
// one, rendered by the default body and by a template, delivered to a real receiver and printed
// by `herald webhook_receiver` with the digits exactly as NetBox (Python) would write them; an
// int past Python's 4300 digits is refused with 400 and a message that says so.
#include <gtest/gtest.h>

#include "server_fixture.h"
#include "value/json.h"

namespace herald::testing {
namespace {

constexpr const char* kBig = "123456789012345678901234567890";
constexpr const char* kNeg = "-98765432109876543210987654321";

class BigNumbersTest : public ServerFixture {
 protected:
  void SetUp() override { StartServer(); }

  // A webhook with `fields` (JSON members after payload_url) and a rule for dcim.site
  // creations with `rule_extra` (members with their leading comma).
  void Hook(const std::string& url, const std::string& fields, const std::string& rule_extra) {
    static int n = 0;
    std::string name = "big " + std::to_string(n++);
    CreateWebhookAndRule(
        server_->base(), token_,
        R"({"name": ")" + name + R"(", "payload_url": ")" + url + "\"" + fields + "}", name,
        "dcim.site", rule_extra);
  }

  // Posts one site event whose data holds `serial`; returns the response.
  HttpResult PostSite(const std::string& serial) {
    return Post("/api/events/",
                FreshEvent(R"({"event": "created", "object_type": "dcim.site",)"
                           R"( "timestamp": "2026-03-06T15:11:23.503186+00:00",)"
                           R"( "username": "admin", "request_id": null,)"
                           R"( "data": {"id": 4, "serial": )" +
                           serial + R"(, "neg": )" + kNeg + R"(, "u64": 18446744073709551615}})"));
  }
};

TEST_F(BigNumbersTest, DeliveredBodiesAndTheReceiverKeepTheDigits) {
  Receiver rx;
  WebhookReceiverProcess printer(dir_.path(), {"--no-headers"});
  ASSERT_TRUE(printer.started()) << printer.Stdout();
  const std::string condition = std::string(R"(, "conditions": {"attr": "serial",)") +
                                R"( "op": "gt", "value": 123456789012345678901234567889})";
  // The default body, to the recording receiver and to webhook_receiver.
  Hook(rx.url("/default"), "", condition);
  Hook(printer.url("/printed"), "", condition);
  // A template: printing, arithmetic and comparisons on the big ints.
  Hook(rx.url("/template"),
       R"(, "body_template": "{{ data.serial }}|{{ data.serial + 1 }}|{{ data.serial * data.neg }})"
       R"(|{{ data.serial // 7 }}|{{ data.serial % 7 }}|{{ data.serial > data.u64 }})"
       R"(|{{ data.neg < -9223372036854775808 }}|{{ data | tojson }}")",
       condition);

  HttpResult posted = PostSite(kBig);
  ASSERT_EQ(posted.status, 202) << posted.body;
  // One below the condition's bound: matched by no rule.
  HttpResult below = PostSite("123456789012345678901234567889");
  ASSERT_EQ(below.status, 202) << below.body;

  ASSERT_TRUE(WaitFor([&] { return rx.count() >= 2; }, std::chrono::seconds(30)))
      << server_->Stderr();
  ASSERT_TRUE(
      WaitFor([&] { return printer.Stdout().find("Completed request #1") != std::string::npos; },
              std::chrono::seconds(30)))
      << printer.Stdout() << server_->Stderr();

  const std::string data = std::string(R"({"id": 4, "serial": )") + kBig + R"(, "neg": )" + kNeg +
                           R"(, "u64": 18446744073709551615})";
  const std::string body =
      R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", )"
      R"("object_type": "dcim.site", "model": "site", "username": "admin", "request_id": null, )"
      R"("data": )" +
      data + "}";
  std::map<std::string, std::string> got;
  for (const auto& r : rx.requests()) got[r.path] = r.body;
  EXPECT_EQ(got["/default"], body);
  EXPECT_EQ(got["/template"],
            std::string(kBig) +
                "|123456789012345678901234567891"
                "|-12193263113702179522618503273362292333223746380111126352690"
                "|17636684144620811271604938270|0|True|True"
                "|{\"id\": 4, \"neg\": -98765432109876543210987654321, \"serial\": " +
                kBig + ", \"u64\": 18446744073709551615}");
  // webhook_receiver pretty-prints the received JSON as Python's json.dumps(indent=4) would.
  const std::string out = printer.Stdout();
  EXPECT_NE(out.find("    \"data\": {\n"
                     "        \"id\": 4,\n"
                     "        \"serial\": 123456789012345678901234567890,\n"
                     "        \"neg\": -98765432109876543210987654321,\n"
                     "        \"u64\": 18446744073709551615\n"
                     "    }\n"),
            std::string::npos)
      << out;
  // The stored event reads back with the same digits.
  int64_t id = posted.json().get("events")->as_list()[0].get("id")->as_int();
  HttpResult stored = Get("/api/events/" + std::to_string(id) + "/");
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(DumpJson(*stored.json().get("data")), data);
  // Three tasks for the event, none for the one below the condition's bound.
  auto task_count = [&](const HttpResult& event) -> int64_t {
    int64_t event_id = event.json().get("events")->as_list()[0].get("id")->as_int();
    HttpResult tasks =
        Get("/api/core/background-tasks/?status=all&event_id=" + std::to_string(event_id));
    const Value* count = tasks.json().get("count");
    EXPECT_TRUE(count) << tasks.body;
    return count ? count->as_int() : -1;
  };
  EXPECT_EQ(task_count(posted), 3);
  EXPECT_EQ(task_count(below), 0);
}

TEST_F(BigNumbersTest, MoreDigitsThanPythonTakesAreRefused) {
  HttpResult r = PostSite(std::string(4301, '7'));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("the body holds an integer with too many digits: Exceeds the limit (4300 "
                        "digits) for integer string conversion: value has 4301 digits"),
            std::string::npos)
      << r.body;
  HttpResult ok = PostSite(std::string(4300, '7'));
  EXPECT_EQ(ok.status, 202) << ok.body;
}

}  // namespace
}  // namespace herald::testing
