// POST /api/events/explain/ and `herald events explain`, end to end on the real binary: matching
// and non-matching rules with their condition traces, the request a matching rule's webhook would
// send (signature included for admins, credentials redacted for read-only tokens), a template
// error reported in the answer, input errors answered as /api/events/ answers them, and nothing
// stored.
#include <gtest/gtest.h>

#include <fstream>

#include "server_fixture.h"
#include "value/json.h"

namespace herald::testing {
namespace {

constexpr const char* kSecret = "explain-secret";
constexpr const char* kApiKey = "key-6f1c2a";
constexpr const char* kUrlToken = "tok-93be1d";

class ExplainTest : public ServerFixture {
 protected:
  void SetUp() override {
    // No delivery workers: nothing could be sent even if explain queued something.
    ASSERT_NO_FATAL_FAILURE(StartServer({{"HERALD_DELIVERY_WORKERS", "false"}}));
    auto ro = RunHerald({"token", "create", "--read-only", "--store", server_->store_url()});
    ASSERT_EQ(ro.exit_code, 0) << ro.err;
    ro_ = ro.out.substr(0, ro.out.find('\n'));
    auto io = RunHerald({"token", "create", "--ingest-only", "--store", server_->store_url()});
    ASSERT_EQ(io.exit_code, 0) << io.err;
    io_ = io.out.substr(0, io.out.find('\n'));
  }

  // A webhook (JSON fields after the name) and returns its id.
  int64_t Hook(const std::string& name, const std::string& fields) {
    auto r = Post("/api/extras/webhooks/", R"({"name": ")" + name + R"(", )" + fields + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().get("id")->as_int() : 0;
  }
  // An event rule on `object_type` / `event_type` sending to `hook`, with `extra` fields.
  void Rule(const std::string& name, int64_t hook, const std::string& object_type,
            const std::string& event_type, const std::string& extra = "") {
    auto r = Post("/api/extras/event-rules/", R"({"name": ")" + name + R"(", "object_types": [")" +
                                                  object_type + R"("], "event_types": [")" +
                                                  event_type + R"("], "action_object_id": )" +
                                                  std::to_string(hook) + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
  }
  // The usual configuration: one rule that matches kSiteCreatedEvent and three that do not,
  // for three reasons, plus a disabled one (not considered).
  void Configure() {
    int64_t hook = Hook("signed", R"("payload_url": "http://127.0.0.1:9/in?token=)" +
                                      std::string(kUrlToken) + R"(", "secret": ")" + kSecret +
                                      R"(", "additional_headers": "X-Api-Key: )" + kApiKey +
                                      R"(\nX-Site: {{ data.name }}",
                                      "body_template": "{\"site\": \"{{ data.name }}\"}")");
    ASSERT_NE(hook, 0);
    Rule("a-match", hook, "dcim.site", "object_created",
         R"(, "conditions": {"and": [{"attr": "name", "value": "Site 1"},
                                     {"attr": "id", "op": "gt", "value": 10, "negate": true}]})");
    Rule("b-conditions-fail", hook, "dcim.site", "object_created",
         R"(, "conditions": {"or": [{"attr": "name", "value": "Other"},
                                    {"attr": "status.value", "value": "active"}]})");
    Rule("c-wrong-type", hook, "dcim.device", "object_created");
    Rule("d-wrong-event", hook, "dcim.site", "object_deleted");
    Rule("e-disabled", hook, "dcim.site", "object_created", R"(, "enabled": false)");
  }

  // The answer's entry for rule `name` of event `index`.
  static const Value* RuleOf(const Value& answer, const std::string& name, size_t index = 0) {
    for (const auto& r : answer.get("events")->as_list()[index].get("rules")->as_list())
      if (r.get("name")->as_str() == name) return &r;
    return nullptr;
  }
  // Tasks in every status, and stored events.
  int64_t TaskCount() {
    auto r = Get("/api/core/background-tasks/?status=all");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().get("count")->as_int() : -1;
  }
  size_t EventCount() {
    auto r = Get("/api/events/");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().get("results")->as_list().size() : 0;
  }

  std::string ro_, io_;  // read-only and ingest-only tokens (token_ is the admin's)
};

TEST_F(ExplainTest, MatchingAndNonMatchingRulesWithTracesAndTheRequest) {
  ASSERT_NO_FATAL_FAILURE(Configure());
  auto r = Post("/api/events/explain/", kSiteCreatedEvent);
  ASSERT_EQ(r.status, 200) << r.body;
  const Value& a = r.json();
  EXPECT_FALSE(a.get("stored")->truthy());
  EXPECT_EQ(a.get("rules_considered")->as_int(), 4) << "the disabled rule is not considered";
  const Value& ev = a.get("events")->as_list()[0];
  EXPECT_EQ(ev.get("object_type")->as_str(), "dcim.site");
  EXPECT_EQ(ev.get("event_type")->as_str(), "object_created");
  EXPECT_EQ(ev.get("tasks")->as_int(), 1);
  ASSERT_EQ(ev.get("rules")->as_list().size(), 4u);
  EXPECT_EQ(RuleOf(a, "e-disabled"), nullptr);

  // The match: both conditions held, with the values they saw.
  const Value* m = RuleOf(a, "a-match");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->get("matched")->truthy());
  EXPECT_TRUE(m->get("object_type_matched")->truthy());
  EXPECT_TRUE(m->get("event_type_matched")->truthy());
  EXPECT_EQ(m->get("webhook")->get("name")->as_str(), "signed");
  const Value& mc = *m->get("conditions");
  EXPECT_TRUE(mc.get("evaluated")->truthy());
  EXPECT_TRUE(mc.get("result")->truthy());
  const auto& trace = mc.get("trace")->as_list();
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].get("location")->as_str(), "and[0]");
  EXPECT_EQ(trace[0].get("attr")->as_str(), "name");
  EXPECT_EQ(trace[0].get("seen")->as_str(), "Site 1");
  EXPECT_TRUE(trace[0].get("result")->truthy());
  EXPECT_EQ(trace[1].get("op")->as_str(), "gt");
  EXPECT_TRUE(trace[1].get("negate")->truthy());
  EXPECT_EQ(trace[1].get("seen")->as_int(), 4);
  EXPECT_TRUE(trace[1].get("result")->truthy()) << "not (4 > 10)";

  // Its request, as delivery builds it, signed; admins see the signature and credentials.
  const Value& req = *m->get("request");
  EXPECT_TRUE(m->get("render_error")->is_none());
  EXPECT_EQ(req.get("method")->as_str(), "POST");
  EXPECT_EQ(req.get("url")->as_str(), std::string("http://127.0.0.1:9/in?token=") + kUrlToken);
  EXPECT_EQ(req.get("body")->as_str(), R"({"site": "Site 1"})");
  const Value& h = *req.get("headers");
  EXPECT_EQ(h.get("Content-Type")->as_str(), "application/json");
  EXPECT_EQ(h.get("X-Api-Key")->as_str(), kApiKey);
  EXPECT_EQ(h.get("X-Site")->as_str(), "Site 1");
  EXPECT_EQ(h.get("X-Herald-Task")->as_str().size(), 36u) << "a sample task id";
  EXPECT_EQ(h.get("webhook-id"), nullptr) << "the netbox scheme (the default)";
  EXPECT_EQ(req.get("signature_scheme")->as_str(), "netbox");
  EXPECT_TRUE(req.get("signed")->truthy());
  ASSERT_EQ(req.get("signature_headers")->as_list().size(), 1u);
  EXPECT_EQ(h.get("X-Hook-Signature")->as_str(), HmacSha512Hex(kSecret, R"({"site": "Site 1"})"));
  EXPECT_EQ(req.get("timeout")->as_int(), 60);

  // No match on conditions: the or short-circuits nothing; both were evaluated and failed,
  // the second on a missing key.
  const Value* b = RuleOf(a, "b-conditions-fail");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->get("matched")->truthy());
  EXPECT_EQ(b->get("request"), nullptr);
  const auto& bt = b->get("conditions")->get("trace")->as_list();
  ASSERT_EQ(bt.size(), 2u);
  EXPECT_EQ(bt[0].get("seen")->as_str(), "Site 1");
  EXPECT_FALSE(bt[0].get("result")->truthy());
  EXPECT_TRUE(bt[0].get("reached")->truthy());
  EXPECT_EQ(bt[1].get("found")->as_str(), "missing");
  EXPECT_FALSE(b->get("conditions")->get("error")->is_none()) << "InvalidCondition";

  // No match on types: the conditions are not evaluated.
  const Value* c = RuleOf(a, "c-wrong-type");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->get("object_type_matched")->truthy());
  EXPECT_TRUE(c->get("event_type_matched")->truthy());
  EXPECT_FALSE(c->get("matched")->truthy());
  const Value* d = RuleOf(a, "d-wrong-event");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->get("object_type_matched")->truthy());
  EXPECT_FALSE(d->get("event_type_matched")->truthy());

  // Nothing was stored: no event, no task; the same event posted for real makes one task.
  EXPECT_EQ(TaskCount(), 0);
  EXPECT_EQ(EventCount(), 0u);
  auto ingested = Post("/api/events/", kSiteCreatedEvent);
  ASSERT_EQ(ingested.status, 202) << ingested.body;
  EXPECT_EQ(ingested.json().get("tasks")->as_int(), 1);
  EXPECT_EQ(TaskCount(), 1);
}

TEST_F(ExplainTest, ReadOnlyTokensSeeTheRequestRedactedAndIngestOnlyTokensAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Configure());
  auto r = Api("POST", Url("/api/events/explain/"), ro_, kSiteCreatedEvent);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(kApiKey), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kUrlToken), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(HmacSha512Hex(kSecret, R"({"site": "Site 1"})")), std::string::npos);
  const Value* m = RuleOf(r.json(), "a-match");
  ASSERT_NE(m, nullptr);
  const Value& req = *m->get("request");
  const Value& h = *req.get("headers");
  EXPECT_EQ(h.get("X-Api-Key")->as_str(), "********");
  EXPECT_EQ(h.get("X-Hook-Signature")->as_str(), "********");
  EXPECT_EQ(h.get("X-Site")->as_str(), "Site 1") << "other headers stay visible";
  EXPECT_TRUE(req.get("signed")->truthy()) << "readers learn that it is signed, not the value";
  EXPECT_EQ(req.get("body")->as_str(), R"({"site": "Site 1"})");
  EXPECT_NE(req.get("url")->as_str().find("token=********"), std::string::npos);

  auto refused = Api("POST", Url("/api/events/explain/"), io_, kSiteCreatedEvent);
  EXPECT_EQ(refused.status, 403) << refused.body;
  auto anonymous = Http("POST", Url("/api/events/explain/"), kSiteCreatedEvent,
                        {"Content-Type: application/json"});
  EXPECT_EQ(anonymous.status, 403) << anonymous.body;
  EXPECT_EQ(TaskCount(), 0);
}

TEST_F(ExplainTest, AStandardWebhooksRequestCarriesAVerifiableSignature) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  int64_t hook = Hook("standard", R"("payload_url": "http://127.0.0.1:9/",
                                     "signature_scheme": "both", "secret": ")" +
                                      secret + "\"");
  ASSERT_NE(hook, 0);
  Rule("std", hook, "dcim.site", "object_created");
  auto r = Post("/api/events/explain/", kSiteCreatedEvent);
  ASSERT_EQ(r.status, 200) << r.body;
  const Value* x = RuleOf(r.json(), "std");
  ASSERT_NE(x, nullptr);
  const Value& req = *x->get("request");
  const Value& h = *req.get("headers");
  EXPECT_EQ(req.get("signature_scheme")->as_str(), "both");
  ASSERT_EQ(req.get("signature_headers")->as_list().size(), 2u);
  EXPECT_EQ(h.get("webhook-id")->as_str(), h.get("X-Herald-Task")->as_str());
  // A receiver's check of what explain shows passes (`herald signature verify`).
  std::string body = dir_.path() + "/body";
  std::ofstream(body) << req.get("body")->as_str();
  std::vector<std::string> args = {"signature", "verify", "--secret", secret, "--body", body};
  for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    args.push_back("--header");
    args.push_back(std::string(name) + ": " + h.get(name)->as_str());
  }
  auto verified = RunHerald(args);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  // Read-only callers see neither signature.
  auto ro = Api("POST", Url("/api/events/explain/"), ro_, kSiteCreatedEvent);
  const Value& rh = *RuleOf(ro.json(), "std")->get("request")->get("headers");
  EXPECT_EQ(rh.get("webhook-signature")->as_str(), "********");
  EXPECT_EQ(rh.get("X-Hook-Signature")->as_str(), "********");
}

TEST_F(ExplainTest, ATemplateErrorIsReportedForItsRuleAndTheCallSucceeds) {
  int64_t broken = Hook("broken", R"("payload_url": "http://127.0.0.1:9/",
                                     "body_template": "{{ data.nope.deeper }}")");
  int64_t fine = Hook("fine", R"("payload_url": "http://127.0.0.1:9/{{ data.id }}")");
  ASSERT_TRUE(broken && fine);
  Rule("broken-body", broken, "dcim.site", "object_created");
  Rule("fine", fine, "dcim.site", "object_created");
  auto r = Post("/api/events/explain/", kSiteCreatedEvent);
  ASSERT_EQ(r.status, 200) << r.body;
  const Value* b = RuleOf(r.json(), "broken-body");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->get("matched")->truthy());
  EXPECT_TRUE(b->get("request")->is_none());
  EXPECT_NE(
      b->get("render_error")->as_str().find("Error rendering request body for webhook broken"),
      std::string::npos)
      << b->get("render_error")->as_str();
  const Value* f = RuleOf(r.json(), "fine");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->get("request")->get("url")->as_str(), "http://127.0.0.1:9/4");
  EXPECT_FALSE(f->get("request")->get("signed")->truthy());
  EXPECT_EQ(f->get("request")->get("signature_headers")->as_list().size(), 0u);
  EXPECT_EQ(r.json().get("events")->as_list()[0].get("tasks")->as_int(), 2);
  EXPECT_EQ(TaskCount(), 0);
}

TEST_F(ExplainTest, BadInputGetsTheErrorsOfEventIngest) {
  for (const std::string& body :
       {std::string("{not json"), std::string("[]"),
        std::string(R"([{"event": "created", "object_type": "dcim.site", "data": {}},
                        {"event": "created", "data": {}}])")}) {
    auto explain = Post("/api/events/explain/", body);
    auto ingest = Post("/api/events/", body);
    EXPECT_EQ(explain.status, 400) << body;
    EXPECT_EQ(explain.status, ingest.status) << body;
    EXPECT_EQ(explain.body, ingest.body) << body;
  }
  auto xml = Post("/api/events/explain/", "<event/>", "application/xml");
  EXPECT_EQ(xml.status, 415) << xml.body;
  std::string many = "[";
  for (int i = 0; i <= 100; ++i) many += std::string(i ? "," : "") + kSiteCreatedEvent;
  auto too_many = Post("/api/events/explain/", many + "]");
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_NE(too_many.body.find("at most 100 events"), std::string::npos) << too_many.body;
  auto get = Get("/api/events/explain/");
  EXPECT_EQ(get.status, 404) << get.body;
  EXPECT_EQ(TaskCount(), 0);
  EXPECT_EQ(EventCount(), 0u);
}

TEST_F(ExplainTest, TheCommandPrintsASummaryOrTheJsonAnswer) {
  ASSERT_NO_FATAL_FAILURE(Configure());
  std::string file = dir_.path() + "/event.json";
  std::ofstream(file) << kSiteCreatedEvent;
  auto text = RunHerald({"events", "explain", file, "--store", server_->store_url()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("event 0: dcim.site object_created -> 1 task(s)"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("MATCH    rule \"a-match\""), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("and[0] name eq \"Site 1\": saw \"Site 1\" -> held"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("POST http://127.0.0.1:9/in"), std::string::npos) << text.out;
  auto json = RunHerald({"events", "explain", file, "--json", "--store", server_->store_url()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.ok()) << json.out;
  EXPECT_EQ(parsed->get("events")->as_list()[0].get("tasks")->as_int(), 1);
  // The local operator sees the signature, as `herald tasks show` does.
  EXPECT_NE(json.out.find(HmacSha512Hex(kSecret, R"({"site": "Site 1"})")), std::string::npos);
  std::ofstream(file) << R"({"event": "created", "data": {}})";
  auto bad = RunHerald({"events", "explain", file, "--store", server_->store_url()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("event 0:"), std::string::npos) << bad.err;
  EXPECT_EQ(TaskCount(), 0);
}

}  // namespace
}  // namespace herald::testing
