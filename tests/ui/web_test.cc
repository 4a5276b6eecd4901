// In-process tests of the web UI handler (no browser): sessions and cookie flags, CSRF and
// read-only refusals, form validation shown next to fields, HTML escaping of user data,
// pagination bounds with many tasks, task actions, a request body not recorded, the workers on the
// queues page, and that every page template renders.
#include "common/time.h"
#include "web_fixture.h"

namespace herald::web {
namespace {

// Form and cookie parsing are http/'s (tests/unit/http/params_test.cc).
TEST(WebHelpers, EscapeAndSecrets) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(RandomHex(32).size(), 64u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
  EXPECT_TRUE(SecureEquals("abc", "abc"));
  EXPECT_FALSE(SecureEquals("abc", "abd"));
  EXPECT_FALSE(SecureEquals("", ""));
}

TEST_F(WebTest, RedirectsToLoginWithoutSession) {
  auto r = Call("GET", "/tasks/?status=failed");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/login?next=%2Ftasks%2F%3Fstatus%3Dfailed");
  EXPECT_EQ(Call("GET", "/login").status, 200);
}

TEST_F(WebTest, SignInSetsStrictHttpOnlyCookieAndRefusesBadTokens) {
  auto r = Call("POST", "/login", "token=" + admin_key_ + "&next=%2Fqueues%2F");
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(HeaderOf(r, "Location"), "/queues/");
  std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(Call("POST", "/login", "token=nope").status, 403);
  EXPECT_EQ(Call("POST", "/login", "token=" + ingest_key_).status, 403);
  // An off-site "next" is ignored.
  auto off = Call("POST", "/login", "token=" + admin_key_ + "&next=%2F%2Fevil.example%2F");
  EXPECT_EQ(HeaderOf(off, "Location"), "/");
}

TEST_F(WebTest, PostNeedsCsrfTokenAndSameOrigin) {
  auto [sid, csrf] = SignIn(admin_key_);
  EXPECT_EQ(Call("POST", "/tasks/requeue-failed", "", sid).status, 403);
  EXPECT_EQ(Call("POST", "/tasks/requeue-failed", "csrf=" + std::string(64, '0'), sid).status, 403);
  EXPECT_EQ(
      Call("POST", "/tasks/requeue-failed", "csrf=" + csrf, sid, "http://evil.example").status,
      403);
  EXPECT_EQ(
      Call("POST", "/tasks/requeue-failed", "csrf=" + csrf, sid, "http://127.0.0.1:8080").status,
      303);
}

TEST_F(WebTest, ReadOnlySessionSeesButCannotChange) {
  int64_t hook = MakeWebhookAndRule();
  auto [sid, csrf] = SignIn(ro_key_);
  auto list = Call("GET", "/webhooks/", "", sid);
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("add-webhook"), std::string::npos);
  EXPECT_EQ(Call("GET", "/webhooks/new", "", sid).status, 403);
  std::string id = std::to_string(hook);
  EXPECT_EQ(Call("POST", "/webhooks/" + id + "/delete", "csrf=" + csrf, sid).status, 403);
  EXPECT_EQ(Call("GET", "/webhooks/" + id + "/delete", "", sid).status, 403);
  EXPECT_EQ(
      Call("POST", "/webhooks/new", "csrf=" + csrf + "&name=x&payload_url=http%3A%2F%2Fa%2F", sid)
          .status,
      403);
  EXPECT_EQ(
      Call("POST", "/webhooks/" + id + "/preview", "csrf=" + csrf + "&action=send", sid).status,
      403);
  EXPECT_EQ(
      Call("POST", "/webhooks/" + id + "/preview", "csrf=" + csrf + "&action=preview", sid).status,
      200);
  EXPECT_TRUE(store_->GetWebhook(hook).ok());
  // Sign-out works for read-only sessions too.
  EXPECT_EQ(Call("POST", "/logout", "csrf=" + csrf, sid).status, 303);
  EXPECT_EQ(Call("GET", "/", "", sid).status, 303);
}

TEST_F(WebTest, DeletingAWebhookDeletesItsRulesAfterTheConfirmPageListsThem) {
  int64_t hook = MakeWebhookAndRule();
  EventRule other;
  other.name = "second <rule>";
  other.object_types = {"dcim.site"};
  other.event_types = {"object_deleted"};
  other.action_object_id = hook;
  auto second = store_->CreateEventRule(other);
  ASSERT_TRUE(second.ok());
  Webhook spare;
  spare.name = "spare";
  spare.payload_url = "http://127.0.0.1:9/y";
  auto unused = store_->CreateWebhook(spare);
  ASSERT_TRUE(unused.ok());
  auto [sid, csrf] = SignIn(admin_key_);
  std::string id = std::to_string(hook);
  // The detail page's Delete leads to the confirm page, which names both rules (escaped).
  auto detail = Call("GET", "/webhooks/" + id, "", sid);
  EXPECT_NE(detail.body.find("href=\"/webhooks/" + id + "/delete\""), std::string::npos);
  auto confirm = Call("GET", "/webhooks/" + id + "/delete", "", sid);
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("cascaded-rules"), std::string::npos);
  EXPECT_NE(confirm.body.find(">rule</a>"), std::string::npos);
  EXPECT_NE(confirm.body.find(">second &lt;rule&gt;</a>"), std::string::npos);
  EXPECT_NE(confirm.body.find("Delete webhook and 2 event rules"), std::string::npos);
  EXPECT_TRUE(store_->GetWebhook(hook).ok());  // GET deletes nothing
  auto none = Call("GET", "/webhooks/" + std::to_string(unused->id) + "/delete", "", sid);
  EXPECT_EQ(none.body.find("cascaded-rules"), std::string::npos);
  EXPECT_NE(none.body.find("No event rule uses this webhook."), std::string::npos);
  // Confirming deletes the webhook and its rules (the API's cascade), not the other webhook.
  auto del = Call("POST", "/webhooks/" + id + "/delete", "csrf=" + csrf, sid);
  EXPECT_EQ(del.status, 303);
  EXPECT_EQ(HeaderOf(del, "Location"), "/webhooks/");
  EXPECT_EQ(store_->GetWebhook(hook).status().code(), Code::kNotFound);
  auto rules = store_->ListEventRules();
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->empty());
  EXPECT_TRUE(store_->GetWebhook(unused->id).ok());
  auto list = Call("GET", "/webhooks/", "", sid);
  EXPECT_NE(
      list.body.find("deleted with event rules &#34;rule&#34;, &#34;second &lt;rule&gt;&#34;."),
      std::string::npos)
      << list.body;
}

TEST_F(WebTest, WebhookFormShowsFieldErrorsAndEscapesInput) {
  auto [sid, csrf] = SignIn(admin_key_);
  auto r =
      Call("POST", "/webhooks/new",
           "csrf=" + csrf + "&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&payload_url=ftp%3A%2F%2Fx" +
               "&http_method=POST&timeout=abc",
           sid);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Enter a valid URL"), std::string::npos);
  EXPECT_NE(r.body.find("A valid integer is required."), std::string::npos);
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;alert(1)"), std::string::npos);
  auto ok =
      Call("POST", "/webhooks/new",
           "csrf=" + csrf + "&name=%3Cb%3Eh%3C%2Fb%3E&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F" +
               "&http_method=POST&http_content_type=application%2Fjson&ssl_verification=on" +
               "&description=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
           sid);
  ASSERT_EQ(ok.status, 303);
  auto detail = Call("GET", HeaderOf(ok, "Location"), "", sid);
  EXPECT_EQ(detail.status, 200);
  EXPECT_EQ(detail.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(detail.body.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(detail.body.find("&lt;b&gt;h&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(HeaderOf(detail, "Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  // Same name again: the store's uniqueness error appears on the name field.
  auto dup = Call(
      "POST", "/webhooks/new",
      "csrf=" + csrf + "&name=%3Cb%3Eh%3C%2Fb%3E&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F", sid);
  EXPECT_EQ(dup.status, 400);
}

TEST_F(WebTest, WebhookFormWarnsOfTemplatesThatDoNotCompile) {
  auto [sid, csrf] = SignIn(admin_key_);
  std::string base = "csrf=" + csrf + "&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F" +
                     "&http_method=POST&http_content_type=application%2Fjson";
  // Saved as NetBox saves it (only payload_url must compile), with a warning for the body.
  auto bad =
      Call("POST", "/webhooks/new",
           base + "&name=bad&additional_headers=" + PercentEncode("X-A: {{ a|header_safe }}") +
               "&body_template=" + PercentEncode("{% for loop in data %}{% endfor %}"),
           sid);
  ASSERT_EQ(bad.status, 303);
  auto shown = Call("GET", HeaderOf(bad, "Location"), "", sid);
  EXPECT_NE(shown.body.find("flash-error"), std::string::npos) << shown.body;
  EXPECT_NE(shown.body.find("body_template: TemplateAssertionError: Can&#39;t assign to special "
                            "loop variable in for-loop target (line 1)"),
            std::string::npos)
      << shown.body;
  EXPECT_EQ(shown.body.find("additional_headers:"), std::string::npos);  // header_safe is known
  // Templates that compile: the plain saved message.
  auto good = Call("POST", "/webhooks/new",
                   base + "&name=good&body_template=" + PercentEncode("{{ data|tojson }}"), sid);
  ASSERT_EQ(good.status, 303);
  auto plain = Call("GET", HeaderOf(good, "Location"), "", sid);
  EXPECT_EQ(plain.body.find("flash-error"), std::string::npos);
  EXPECT_NE(plain.body.find("created."), std::string::npos);
}

TEST_F(WebTest, WebhookFormGeneratesSecretsSetsTheSchemeAndRotates) {
  auto [sid, csrf] = SignIn(admin_key_);
  std::string base = "csrf=" + csrf + "&payload_url=http%3A%2F%2F127.0.0.1%3A9%2F" +
                     "&http_method=POST&http_content_type=application%2Fjson&name=sig";
  auto made = Call("POST", "/webhooks/new",
                   base + "&signature_scheme=standard&generate_secret=on&secret=ignored", sid);
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string location = HeaderOf(made, "Location");
  auto shown = Call("GET", location, "", sid);
  const size_t at = shown.body.find("saved with a new secret, shown only now: whsec_");
  ASSERT_NE(at, std::string::npos) << shown.body;
  const std::string secret = shown.body.substr(shown.body.find("whsec_", at), 6 + 44);
  EXPECT_NE(shown.body.find("Standard Webhooks (webhook-id"), std::string::npos);
  const int64_t id = std::stoll(location.substr(location.rfind('/') + 1));
  auto stored = store_->GetWebhook(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret, secret) << "the secret shown is the one stored";
  EXPECT_EQ(stored->signature_scheme, "standard");
  // Shown once: the next visit does not show it.
  EXPECT_EQ(Call("GET", location, "", sid).body.find(secret), std::string::npos);

  // A new secret, keeping the current one signing for 24 hours.
  auto edited = Call("POST", location + "/edit",
                     base + "&signature_scheme=both&secret=whsec_" +
                         PercentEncode("cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=") +
                         "&keep_previous_hours=24",
                     sid);
  ASSERT_EQ(edited.status, 303) << edited.body;
  stored = store_->GetWebhook(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->signature_scheme, "both");
  EXPECT_EQ(stored->previous_secret, secret);
  ASSERT_TRUE(stored->previous_secret_expires.has_value());
  EXPECT_GT(*stored->previous_secret_expires, NowUs());
  auto form = Call("GET", location + "/edit", "", sid);
  EXPECT_NE(form.body.find("id=\"previous-secret\""), std::string::npos);
  EXPECT_EQ(form.body.find(secret), std::string::npos) << "never shown again";
  // Removing it.
  auto removed = Call("POST", location + "/edit", base + "&clear_previous_secret=on", sid);
  ASSERT_EQ(removed.status, 303) << removed.body;
  stored = store_->GetWebhook(id);
  EXPECT_EQ(stored->previous_secret, "");
  EXPECT_EQ(stored->signature_scheme, "both") << "a form without the choice keeps it";
  // A bad whsec_ secret is an error on the secret field.
  auto bad =
      Call("POST", location + "/edit", base + "&signature_scheme=standard&secret=whsec_%40", sid);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("must continue in base64"), std::string::npos);
}

TEST_F(WebTest, RuleFormRejectsBadJsonAndConditions) {
  int64_t hook = MakeWebhookAndRule();
  auto [sid, csrf] = SignIn(admin_key_);
  std::string base = "csrf=" + csrf +
                     "&name=r2&object_types=dcim.device&event_types=object_created" +
                     "&action_object_id=" + std::to_string(hook);
  auto bad_json = Call("POST", "/rules/new", base + "&conditions=%7Bnope", sid);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("Enter a valid JSON"), std::string::npos);
  auto bad_cond = Call(
      "POST", "/rules/new",
      base + "&conditions=" + PercentEncode(R"({"attr": "a", "op": "bogus", "value": 1})"), sid);
  EXPECT_EQ(bad_cond.status, 400);
  EXPECT_NE(bad_cond.body.find("Unknown operator: bogus"), std::string::npos);
  auto no_types = Call("POST", "/rules/new", "csrf=" + csrf + "&name=r3", sid);
  EXPECT_EQ(no_types.status, 400);
  EXPECT_NE(no_types.body.find("This list may not be empty."), std::string::npos);
  auto ok = Call("POST", "/rules/new",
                 base + "&enabled=on&object_types_extra=plugin.thing&action_data=" +
                     PercentEncode(R"({"k": 1})"),
                 sid);
  ASSERT_EQ(ok.status, 303);
  auto rules = store_->ListEventRules();
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 2u);
  const EventRule& r2 = (*rules)[0].name == "r2" ? (*rules)[0] : (*rules)[1];
  EXPECT_EQ(r2.object_types, (std::vector<std::string>{"dcim.device", "plugin.thing"}));
  EXPECT_TRUE(r2.enabled);
  EXPECT_EQ(DumpJson(r2.action_data), R"({"k": 1})");
}

TEST_F(WebTest, RuleFormPutsSaveErrorsOnTheirFields) {
  int64_t hook = MakeWebhookAndRule();
  auto [sid, csrf] = SignIn(admin_key_);
  std::string types = "&object_types=dcim.device&event_types=object_created";
  // The text after the webhook picker and before the next field: action_object_id's errors.
  auto webhook_errors = [](const std::string& body) {
    size_t picker = body.find("name=\"action_object_id\"");
    size_t next = body.find("name=\"action_data\"");
    return picker == std::string::npos || next == std::string::npos
               ? std::string()
               : body.substr(picker, next - picker);
  };
  // A webhook that does not exist, in a rule whose name speaks of webhooks: the webhook field.
  std::string unknown = std::to_string(hook + 1000);
  auto missing =
      Call("POST", "/rules/new",
           "csrf=" + csrf + "&name=webhook+names" + types + "&action_object_id=" + unknown, sid);
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(webhook_errors(missing.body).find("Webhook " + unknown + " does not exist."),
            std::string::npos)
      << missing.body;
  // A taken name: the name field, not the webhook field.
  auto taken = Call(
      "POST", "/rules/new",
      "csrf=" + csrf + "&name=rule" + types + "&action_object_id=" + std::to_string(hook), sid);
  EXPECT_EQ(taken.status, 400);
  size_t message = taken.body.find("event rule with this name already exists.");
  ASSERT_NE(message, std::string::npos) << taken.body;
  EXPECT_LT(message, taken.body.find("name=\"description\"")) << "shown under the name";
  EXPECT_EQ(webhook_errors(taken.body).find("already exists"), std::string::npos);
}

TEST_F(WebTest, TaskListPaginatesAndClampsPages) {
  MakeWebhookAndRule();
  CommitTasks(120);
  auto [sid, csrf] = SignIn(admin_key_);
  auto p3 = Call("GET", "/tasks/?page=3", "", sid);
  EXPECT_EQ(p3.status, 200);
  EXPECT_NE(p3.body.find("101–120 of 120 tasks"), std::string::npos);
  EXPECT_NE(p3.body.find("page 3 of 3"), std::string::npos);
  auto far = Call("GET", "/tasks/?page=999999999", "", sid);
  EXPECT_NE(far.body.find("page 3 of 3"), std::string::npos);
  auto filtered =
      Call("GET", "/tasks/?status=queued&webhook=1&rule=1&object_type=dcim.device", "", sid);
  EXPECT_NE(filtered.body.find("1–50 of 120 tasks"), std::string::npos);
  EXPECT_NE(filtered.body.find(
                "status=queued&amp;webhook=1&amp;rule=1&amp;object_type=dcim.device&amp;page=2"),
            std::string::npos);
  auto bad = Call("GET", "/tasks/?status=bogus&webhook=x", "", sid);
  EXPECT_NE(bad.body.find("Unknown status"), std::string::npos);
}

TEST_F(WebTest, EveryPageRenders) {
  int64_t hook = MakeWebhookAndRule();
  auto ids = CommitTasks(2);
  auto [sid, csrf] = SignIn(admin_key_);
  std::string h = std::to_string(hook);
  for (const std::string& path :
       {std::string("/"), std::string("/webhooks/"), "/webhooks/" + h, "/webhooks/" + h + "/edit",
        std::string("/webhooks/new"), "/webhooks/" + h + "/preview", "/webhooks/" + h + "/delete",
        "/webhooks/" + h + "/preview?object_type=dcim.device", std::string("/rules/"),
        std::string("/rules/1"), std::string("/rules/1/edit"), std::string("/rules/new"),
        std::string("/rules/1/check?object_type=dcim.device"), std::string("/events/"),
        std::string("/events/1"), std::string("/queues/"), std::string("/tasks/"),
        "/tasks/" + ids[0]}) {
    auto r = Call("GET", path, "", sid);
    EXPECT_EQ(r.status, 200) << path << "\n" << r.body.substr(0, 500);
    EXPECT_NE(r.body.find("</html>"), std::string::npos) << path;
  }
  auto check = Call("GET", "/rules/1/check?object_type=dcim.device", "", sid);
  EXPECT_NE(check.body.find("The rule matches"), std::string::npos);
  auto preview = Call("GET", "/webhooks/" + h + "/preview?object_type=dcim.device", "", sid);
  EXPECT_NE(preview.body.find("http://127.0.0.1:9/x"), std::string::npos);
  auto css = Call("GET", "/static/app.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Call("GET", "/static/nope.css").status, 404);
  EXPECT_EQ(Call("GET", "/nope", "", sid).status, 404);
  EXPECT_EQ(Call("GET", "/tasks/nope", "", sid).status, 404);
  EXPECT_EQ(Call("GET", "/webhooks/99", "", sid).status, 404);
}

TEST_F(WebTest, TaskButtonsChangeState) {
  MakeWebhookAndRule();
  auto ids = CommitTasks(2);
  auto [sid, csrf] = SignIn(admin_key_);
  auto stop = Call("POST", "/tasks/" + ids[0] + "/stop", "csrf=" + csrf, sid);
  EXPECT_EQ(stop.status, 303);
  EXPECT_EQ(store_->GetTask(ids[0])->status, TaskStatus::kFailed);
  auto page = Call("GET", "/tasks/" + ids[0], "", sid);
  EXPECT_NE(page.body.find("stopped."), std::string::npos);  // the flash message
  EXPECT_NE(page.body.find("id=\"requeue\""), std::string::npos);
  EXPECT_EQ(Call("POST", "/tasks/" + ids[0] + "/requeue", "csrf=" + csrf, sid).status, 303);
  EXPECT_EQ(store_->GetTask(ids[0])->status, TaskStatus::kQueued);
  auto wrong = Call("POST", "/tasks/" + ids[0] + "/enqueue", "csrf=" + csrf, sid);
  EXPECT_EQ(wrong.status, 303);  // refused by the store; shown as an error flash
  auto shown = Call("GET", "/tasks/" + ids[0], "", sid);
  EXPECT_NE(shown.body.find("flash-error"), std::string::npos);
  auto del = Call("POST", "/tasks/" + ids[1] + "/delete", "csrf=" + csrf, sid);
  EXPECT_EQ(HeaderOf(del, "Location"), "/tasks/");
  EXPECT_EQ(store_->GetTask(ids[1]).status().code(), Code::kNotFound);
}

TEST_F(WebTest, TaskPageSaysWhenTheRequestBodyWasNotRecorded) {
  MakeWebhookAndRule();
  auto ids = CommitTasks(1);
  auto leased = store_->LeaseTasks("w1", 1, NowUs(), 60'000'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  AttemptOutcome o = OkAttempt("http://127.0.0.1:9/x");
  o.attempt.request_headers = R"({"Content-Type": "application/json"})";
  o.attempt.request_body = kRequestBodyNotRecorded;  // delivery.record_bodies = "failed"
  ASSERT_TRUE(store_->RecordAttempt((*leased)[0].id, "w1", o).ok());
  auto [sid, csrf] = SignIn(admin_key_);
  auto page = Call("GET", "/tasks/" + (*leased)[0].id, "", sid);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Body not recorded (delivery.record_bodies = failed)."),
            std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("herald: request body not recorded"), std::string::npos);
  EXPECT_NE(page.body.find("http://127.0.0.1:9/x"), std::string::npos);
}

TEST_F(WebTest, QueuesPageListsTheLiveWorkersOfEveryNode) {
  std::string sid = SignIn(admin_key_).first;
  auto none = Call("GET", "/queues/", "", sid);
  ASSERT_EQ(none.status, 200);
  EXPECT_NE(none.body.find("id=\"no-workers\""), std::string::npos);
  EXPECT_NE(none.body.find("id=\"worker-count\">0<"), std::string::npos);
  const TimeUs now = NowUs();
  for (auto [name, last] : {std::pair<std::string, TimeUs>{"node-b:77:<b>live</b>", now},
                            {"node-c:78:stale", now - 3600 * 1000000LL}}) {
    WorkerInfo w;
    w.name = name;
    w.host = "node-b";
    w.pid = 77;
    w.queue_names = {"default"};
    w.birth_date = w.last_heartbeat = last;
    w.state = "busy";
    w.successful_job_count = 41;
    ASSERT_TRUE(store_->RegisterWorker(w).ok());
  }
  auto page = Call("GET", "/queues/", "", sid);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"worker-count\">1<"), std::string::npos);
  EXPECT_NE(page.body.find("node-b:77:&lt;b&gt;live&lt;/b&gt;"), std::string::npos)
      << "listed, escaped";
  EXPECT_EQ(page.body.find("<b>live"), std::string::npos);
  EXPECT_EQ(page.body.find("node-c:78:stale"), std::string::npos) << "stale workers are not shown";
  EXPECT_NE(page.body.find(">41<"), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"no-workers\""), std::string::npos);
}

}  // namespace
}  // namespace herald::web
