// Reflected and stored HTML: markup fed to every query parameter of every page, to every path
// segment, to every field of the forms, and stored in every kind of record the pages show, must
// never come back unescaped; javascript: URLs must never become a link, a form action or a
// redirect. The list of parameters is checked against the UI's source, so a page that starts
// reading a new parameter fails this test until the parameter is added here.
#include <filesystem>
#include <set>

#include "common/time.h"
#include "support/files.h"
#include "web_fixture.h"

namespace herald::web {
namespace {

const std::vector<std::string> kPayloads = {
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
};

// Every query parameter a UI page reads (see QueryParamsInSource), with the pages that read it.
// Every page gets every parameter anyway; this list is what the source check compares with.
const std::set<std::string> kQueryParams = {
    "next",         // /login
    "q",            // /webhooks/, /rules/
    "status",       // /tasks/
    "webhook",      // /tasks/
    "rule",         // /tasks/, /webhooks/{id}/preview
    "object_type",  // /tasks/, /events/, preview, check
    "page",         // /tasks/, /events/
    "event",        // preview, check
    "sample_json",  // preview, check
};

// The names looked up in query_params ("...") and passed to the pages' param("...") helper in
// src/web.
std::set<std::string> QueryParamsInSource() {
  std::set<std::string> names;
  std::regex re(R"re((?:query_params\.(?:Get|GetAll|Str|Has)|[^_a-z]param)\("([a-z_]+)"\))re");
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourcePath("src/web"))) {
    if (entry.path().extension() != ".cc") continue;
    std::string text = testing::ReadFile(entry.path().string());
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
      names.insert((*it)[1].str());
  }
  return names;
}

// Fails when `r` carries any payload unescaped, or a javascript: URL where a URL goes.
void ExpectInert(const http::Response& r, const std::string& where) {
  for (const char* raw : {"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><img"})
    EXPECT_EQ(r.body.find(raw), std::string::npos) << where << ": raw " << raw << " in\n" << r.body;
  static const std::regex kJsUrl(
      R"((href|src|action|formaction|data|poster)\s*=\s*["']?\s*javascript:)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(r.body, kJsUrl)) << where << ": javascript: URL in\n" << r.body;
  for (const auto& [k, v] : r.headers) {
    EXPECT_EQ(v.find('<'), std::string::npos) << where << ": header " << k << ": " << v;
    if (k == "Location") {
      std::string l = v;
      for (auto& ch : l) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      EXPECT_EQ(l.rfind("javascript:", 0), std::string::npos) << where << ": Location " << v;
      EXPECT_EQ(l.rfind("//", 0), std::string::npos) << where << ": Location " << v;
    }
  }
  EXPECT_LT(r.status, 500) << where << "\n" << r.body.substr(0, 400);
}

class WebEscapeTest : public WebTest {
 protected:
  // Stores records whose every user-controlled text is markup.
  void MakeHostileData() {
    const std::string m = kPayloads[0] + kPayloads[1];
    Webhook w;
    w.name = "hook " + m;
    w.description = m;
    w.payload_url = "http://127.0.0.1:9/x?" + kPayloads[1];
    w.additional_headers = "X-Trace: " + m + "\nAuthorization: " + m;
    w.body_template = m;
    w.ca_file_path = m;
    w.secret = "s";
    auto cw = store_->CreateWebhook(w);
    ASSERT_TRUE(cw.ok()) << cw.status().ToString();
    hook_ = cw->id;
    EventRule r;
    r.name = "rule " + m;
    r.description = m;
    r.comments = m;
    r.object_types = {"dcim.device", "plugin." + kPayloads[1]};
    r.event_types = {"object_created"};
    r.action_object_id = hook_;
    r.conditions = *ParseJson(R"({"attr": "name", "value": "\"'><img src=x onerror=alert(1)>"})");
    r.action_data = *ParseJson(R"({"k": "<script>alert(1)</script>"})");
    auto cr = store_->CreateEventRule(r);
    ASSERT_TRUE(cr.ok()) << cr.status().ToString();
    rule_ = cr->id;
    NewEvent ne;
    ne.event.event = "created";
    ne.event.event_type = "object_created";
    ne.event.object_type = "dcim.device";
    ne.event.username = Value(m);
    ne.event.request_id = Value(kPayloads[1]);
    ne.event.data = *ParseJson(R"({"id": 1, "name": "<script>alert(1)</script>"})");
    Task t;
    t.rule_id = rule_;
    t.webhook_id = hook_;
    t.rule_name = r.name;
    t.webhook_name = w.name;
    t.object_type = "dcim.device";
    t.event_type = "object_created";
    ne.tasks = {t, t};
    NewEvent odd = ne;
    odd.event.object_type = "plugin." + kPayloads[1];
    odd.tasks = {t};
    odd.tasks[0].object_type = odd.event.object_type;
    auto c = store_->CommitEventsSync({ne, odd});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    event_ = (*c)[0].event_id;
    // One task failed with a hostile error and a recorded hostile request and response.
    auto leased = store_->LeaseTasks("w", 1, NowUs(), 60'000'000);
    ASSERT_TRUE(leased.ok() && leased->size() == 1);
    task_ = (*leased)[0].id;
    AttemptOutcome o;
    o.attempt.number = 1;
    o.attempt.started_at = NowUs();
    o.attempt.status_code = 500;
    o.attempt.response_excerpt = m;
    o.attempt.error = m;
    o.attempt.method = "POST";
    o.attempt.url = "http://127.0.0.1:9/" + kPayloads[1];
    o.attempt.request_headers = R"({"X-Trace": "<script>alert(1)</script>"})";
    o.attempt.request_body = m;
    o.next_status = TaskStatus::kFailed;
    o.error = m;
    ASSERT_TRUE(store_->RecordAttempt(task_, "w", o).ok());
  }

  // Every GET page, with the ids of the hostile records.
  std::vector<std::string> Pages() const {
    std::string h = std::to_string(hook_), r = std::to_string(rule_), e = std::to_string(event_);
    return {"/",
            "/login",
            "/webhooks/",
            "/webhooks/new",
            "/webhooks/" + h,
            "/webhooks/" + h + "/edit",
            "/webhooks/" + h + "/preview",
            "/rules/",
            "/rules/new",
            "/rules/" + r,
            "/rules/" + r + "/edit",
            "/rules/" + r + "/check",
            "/events/",
            "/events/explain",
            "/events/" + e,
            "/queues/",
            "/tasks/",
            "/tasks/" + task_,
            "/favicon.ico",
            "/static/app.css"};
  }

  int64_t hook_ = 0, rule_ = 0, event_ = 0;
  std::string task_;
};

TEST_F(WebEscapeTest, EveryQueryParameterTheSourceReadsIsCovered) {
  auto in_source = QueryParamsInSource();
  EXPECT_GE(in_source.size(), 5u) << "the source scan found too little: is the regex stale?";
  for (const auto& name : in_source)
    EXPECT_TRUE(kQueryParams.count(name))
        << "the UI reads query parameter \"" << name << "\": add it to kQueryParams";
}

TEST_F(WebEscapeTest, MarkupInEveryQueryParameterOfEveryPageIsEscaped) {
  MakeHostileData();
  auto [asid, acsrf] = SignIn(admin_key_);
  auto [rsid, rcsrf] = SignIn(ro_key_);
  int calls = 0;
  for (const std::string& sid : {asid, rsid, std::string()}) {
    for (const auto& page : Pages()) {
      for (const auto& payload : kPayloads) {
        std::string all;
        for (const auto& param : kQueryParams) {
          std::string target = page + "?" + param + "=" + PercentEncode(payload);
          ExpectInert(Call("GET", target, "", sid), target);
          all += (all.empty() ? "" : "&") + param + "=" + PercentEncode(payload);
          ++calls;
        }
        ExpectInert(Call("GET", page + "?" + all, "", sid), page + "?" + all);
        // Unencoded (as a careless client sends it) and the payload as a parameter name.
        ExpectInert(Call("GET", page + "?status=" + payload, "", sid), page + " raw");
        ExpectInert(Call("GET", page + "?" + PercentEncode(payload) + "=1", "", sid),
                    page + " name");
      }
    }
  }
  EXPECT_GT(calls, 400);
  // The reflected case from the issue, explicitly.
  auto tasks = Call("GET", "/tasks/?status=" + PercentEncode(kPayloads[0]), "", asid);
  EXPECT_EQ(tasks.status, 200);
  EXPECT_NE(tasks.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST_F(WebEscapeTest, MarkupInEveryPathSegmentIsEscaped) {
  MakeHostileData();
  auto [sid, csrf] = SignIn(admin_key_);
  std::string h = std::to_string(hook_), r = std::to_string(rule_);
  for (const auto& payload : kPayloads) {
    std::string p = PercentEncode(payload);
    for (const std::string& target :
         {"/" + p, "/" + p + "/", "/webhooks/" + p, "/webhooks/" + h + "/" + p,
          "/webhooks/" + p + "/preview", "/rules/" + p, "/rules/" + r + "/" + p,
          "/rules/" + p + "/check", "/events/" + p, "/tasks/" + p, "/tasks/" + task_ + "/" + p,
          "/queues/" + p, "/static/" + p, "/login/" + p, "/" + p + "?next=" + p}) {
      ExpectInert(Call("GET", target, "", sid), "GET " + target);
      ExpectInert(Call("GET", target), "anonymous GET " + target);
      ExpectInert(Call("POST", target, "csrf=" + csrf, sid), "POST " + target);
    }
  }
  // The "does not exist" message echoes the segment, escaped.
  auto missing = Call("GET", "/tasks/" + PercentEncode(kPayloads[1]), "", sid);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"),
            std::string::npos);
}

TEST_F(WebEscapeTest, MarkupInEveryFormFieldIsEscaped) {
  MakeHostileData();
  auto [sid, csrf] = SignIn(admin_key_);
  auto [rsid, rcsrf] = SignIn(ro_key_);
  std::string h = std::to_string(hook_), r = std::to_string(rule_);
  const std::vector<std::string> webhook_fields = {"name",
                                                   "description",
                                                   "payload_url",
                                                   "http_method",
                                                   "http_content_type",
                                                   "additional_headers",
                                                   "body_template",
                                                   "secret",
                                                   "ca_file_path",
                                                   "timeout",
                                                   "max_attempts",
                                                   "retry_policy",
                                                   "retry_interval",
                                                   "ssl_verification",
                                                   "clear_secret"};
  const std::vector<std::string> rule_fields = {
      "name",        "description", "comments",   "object_types", "object_types_extra",
      "event_types", "enabled",     "conditions", "action_data",  "action_object_id"};
  const std::vector<std::string> sample_fields = {"sample_json", "object_type", "event", "rule",
                                                  "action"};
  struct FormCase {
    std::string path;
    const std::vector<std::string>* fields;
  };
  const std::vector<FormCase> forms = {
      {"/webhooks/new", &webhook_fields},
      {"/webhooks/" + h + "/edit", &webhook_fields},
      {"/rules/new", &rule_fields},
      {"/rules/" + r + "/edit", &rule_fields},
      {"/webhooks/" + h + "/preview", &sample_fields},
      {"/rules/" + r + "/check", &sample_fields},
      {"/events/explain", &sample_fields},
      {"/login", &sample_fields},
  };
  for (const auto& payload : kPayloads) {
    for (const auto& f : forms) {
      std::string all =
          "csrf=" + csrf + "&next=" + PercentEncode(payload) + "&token=" + PercentEncode(payload);
      for (const auto& field : *f.fields) {
        std::string body = "csrf=" + csrf + "&" + field + "=" + PercentEncode(payload);
        ExpectInert(Call("POST", f.path, body, sid), "POST " + f.path + " " + field);
        all += "&" + field + "=" + PercentEncode(payload);
      }
      ExpectInert(Call("POST", f.path, all, sid), "POST " + f.path + " all fields");
      ExpectInert(
          Call("POST", f.path, "csrf=" + rcsrf + "&sample_json=" + PercentEncode(payload), rsid),
          "read-only POST " + f.path);
    }
  }
  // Records saved with markup render escaped everywhere afterwards.
  auto made = Call("POST", "/webhooks/new",
                   "csrf=" + csrf + "&name=" + PercentEncode(kPayloads[1]) +
                       "&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F&http_method=POST"
                       "&http_content_type=application%2Fjson",
                   sid);
  ASSERT_EQ(made.status, 303) << made.body;
  for (const auto& page :
       {HeaderOf(made, "Location"), std::string("/webhooks/"), std::string("/rules/new")})
    ExpectInert(Call("GET", page, "", sid), "after save " + page);
}

TEST_F(WebEscapeTest, JavascriptUrlsNeverBecomeRedirects) {
  for (const std::string next : {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "//evil.example/",
                                 "/\\evil.example", " javascript:alert(1)", "\tjavascript:x"}) {
    auto r = Call("POST", "/login", "token=" + admin_key_ + "&next=" + PercentEncode(next));
    ASSERT_EQ(r.status, 303) << next;
    EXPECT_EQ(HeaderOf(r, "Location"), "/") << next;
    auto page = Call("GET", "/login?next=" + PercentEncode(next));
    ExpectInert(page, "login next=" + next);
    EXPECT_EQ(page.body.find("value=\"" + next), std::string::npos) << next;
  }
}

}  // namespace
}  // namespace herald::web
