// The webhook pages: list with search, detail (rules using it, latest tasks), the create/edit
// form (validated by validation/forms.h, as the REST API validates), delete, and the preview of the
// rendered request for a sample event with "send test". See pages.h.
#include "api/errors.h"
#include "common/log.h"
#include "common/time.h"
#include "delivery/signature.h"
#include "ingest/event_input.h"
#include "model/redact.h"
#include "model/signing.h"
#include "store/task_id.h"
#include "validation/save.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

namespace {

// A webhook for the templates; credential header values hidden unless `show_credentials`.
Value WebhookValue(const Webhook& w, bool show_credentials) {
  auto opt = [](const std::optional<int>& v) { return v ? Value(*v) : Value(""); };
  return D()("id", w.id)("name", w.name)("description", w.description)(
             "payload_url", show_credentials ? w.payload_url : RedactUrl(w.payload_url))(
             "http_method", w.http_method)("http_content_type", w.http_content_type)(
             "additional_headers",
             show_credentials ? w.additional_headers : RedactHeaderTemplate(w.additional_headers))(
             "body_template", w.body_template)("secret_set", !w.secret.empty())(
             "ssl_verification", w.ssl_verification)("ca_file_path", w.ca_file_path.value_or(""))(
             "timeout", opt(w.timeout))("max_attempts", opt(w.max_attempts))(
             "retry_policy", w.retry_policy.value_or(""))("retry_interval", opt(w.retry_interval))(
             "signature_scheme", w.signature_scheme)("previous_secret_set",
                                                     !w.previous_secret.empty())(
             "previous_secret_expires",
             w.previous_secret_expires ? FmtTime(*w.previous_secret_expires) : "")(
             "previous_secret_valid", PreviousSecretValid(w, NowUs()))(
             "created", FmtTime(w.created))("last_updated", FmtTime(w.last_updated))
      .value();
}

// `text` without the CR of each CRLF: browsers send CRLF in textareas; templates and headers
// are stored with \n.
std::string WithoutCr(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out.push_back(text[i]);
  return out;
}

// The longest a rotated-out secret may keep signing when set from the form (hours).
constexpr int64_t kMaxKeepPreviousHours = 24 * 90;

// Builds the JSON body the API would receive from the webhook form. `existing` is the stored
// webhook when editing. "Generate" puts a new whsec_ secret in the body and in `*generated`
// (shown once after saving); "keep the current secret for N hours" makes the stored secret the
// previous one, signing until now + N hours, when the secret changes.
Result<Value> WebhookBodyFromForm(const http::Params& f, const Webhook* existing,
                                  std::string* generated) {
  const bool editing = existing != nullptr;
  D b;
  for (std::string_view k :
       {"name", "description", "payload_url", "http_method", "http_content_type",
        "additional_headers", "body_template", "ca_file_path"}) {
    std::string v = f.Str(k);
    b(k, k == "additional_headers" || k == "body_template" ? WithoutCr(v) : v);
  }
  std::string secret = f.Str("secret");
  if (f.Has("generate_secret")) {
    auto made = delivery::GenerateSecret();
    if (!made.ok()) return made.status();
    secret = *generated = *made;
  }
  if (!(editing && secret.empty()) || f.Has("clear_secret"))
    b("secret", f.Has("clear_secret") ? "" : secret);
  b("ssl_verification", f.Has("ssl_verification"));
  for (const char* k : {"timeout", "max_attempts", "retry_interval", "retry_policy"})
    b(k, TextOrNone(f.Str(k)));
  // A form without the choice (an older page, a script) keeps the stored scheme.
  if (std::string scheme = f.Str("signature_scheme"); !scheme.empty())
    b("signature_scheme", scheme);
  auto keep_hours = ParseInt(f.Str("keep_previous_hours"));
  const bool rotating = editing && !existing->secret.empty() && !secret.empty() &&
                        secret != existing->secret && !f.Has("clear_secret");
  if (f.Has("clear_previous_secret")) {
    b("previous_secret", "")("previous_secret_expires", Value());
  } else if (rotating && keep_hours && *keep_hours > 0) {
    int64_t hours = std::min(*keep_hours, kMaxKeepPreviousHours);
    b("previous_secret", existing->secret)("previous_secret_expires",
                                           FormatIsoUtc(NowUs() + hours * 3600 * 1'000'000, 'Z'));
  }
  return b.value();
}

}  // namespace

void WebhookPages::List(Ctx& c) {
  auto hooks = store.ListWebhooks();
  if (!hooks.ok()) return c.Error(500, hooks.status().message());
  std::string q = c.req.query_params.Get("q").value_or("");
  std::string ql = AsciiLower(q);
  ::herald::List rows;
  const bool admin = c.session->can_write();
  for (const auto& w : *hooks) {
    // Readers search the URL as they see it, so a search cannot probe a hidden credential.
    if (!ql.empty() && !ContainsIgnoreCase(w.name, ql) &&
        !ContainsIgnoreCase(admin ? w.payload_url : RedactUrl(w.payload_url), ql) &&
        !ContainsIgnoreCase(w.description, ql))
      continue;
    rows.push_back(WebhookValue(w, admin));
  }
  c.Page("webhooks.html", D()("webhooks", Value(std::move(rows)))("q", q)(
                              "total", static_cast<int64_t>(hooks->size())));
}

void WebhookPages::Detail(Ctx& c, const Webhook& w) {
  TaskFilter f;
  f.webhook_id = w.id;
  f.limit = 10;
  c.Page("webhook.html",
         D()("w", WebhookValue(w, c.session->can_write()))("rules", RulesTargeting(store, w.id))(
             "tasks", TaskRows(store, f))("object_types", ObjectTypesWithEvents(store)));
}

void WebhookPages::Edit(Ctx& c, const Webhook* existing) {
  if (!c.session->can_write()) return c.Error(403, kReadOnlyMessage);
  Value current = existing ? WebhookValue(*existing, true) : WebhookValue(Webhook(), true);
  if (!c.post())
    return c.Page("webhook_form.html",
                  D()("w", current)("errors", Value::MakeDict())("editing", existing != nullptr));
  std::string generated;
  auto formed = WebhookBodyFromForm(c.form, existing, &generated);
  if (!formed.ok()) return c.Error(500, formed.status().message());
  Value body = std::move(*formed);
  auto saved = SaveWebhook(store, body, existing, existing != nullptr);
  if (!saved.ok()) {
    // Re-show what the user typed, with the errors next to the fields.
    Value shown = current;
    for (const auto& [k, val] : body.as_dict()) {
      if (k.str() == "secret" || k.str() == "previous_secret") continue;
      shown.as_dict().set_item(k, val.is_none() ? Value("") : val);
    }
    return c.Page("webhook_form.html",
                  D()("w", shown)("errors", ErrorsValue(FormErrors(saved.status())))(
                      "editing", existing != nullptr),
                  HttpStatusFor(saved.status()));
  }
  RecordSaved(c, kWebhookKind, saved->id, saved->name, existing != nullptr);
  // Saved as NetBox saves it; say now what delivery would fail on later.
  std::vector<std::string> warnings = WebhookTemplateWarnings(*saved);
  std::string msg;
  if (!warnings.empty()) {
    msg = "Webhook \"" + saved->name +
          "\" saved, but a template does not compile and its deliveries will fail: ";
    for (size_t i = 0; i < warnings.size(); ++i) msg += (i ? "; " : "") + warnings[i];
  }
  // A generated secret is shown this once, on the page saving redirects to.
  if (!generated.empty())
    msg = "Webhook \"" + saved->name + "\" saved with a new secret, shown only now: " + generated +
          (msg.empty() ? "" : ". " + msg);
  if (!msg.empty()) c.Flash(msg, !warnings.empty());
}

void WebhookPages::Delete(Ctx& c, const Webhook& w) {
  if (!c.session->can_write()) return c.Error(403, kReadOnlyMessage);
  if (!c.post()) {
    auto rules = RulesUsingWebhook(store, w.id);
    if (!rules.ok()) return c.Error(500, rules.status().message());
    ::herald::List rows;
    for (const auto& r : *rules) rows.push_back(D()("id", r.id)("name", r.name).value());
    return c.Page("webhook_delete.html",
                  D()("w", WebhookValue(w, false))("rules", Value(std::move(rows))));
  }
  std::vector<EventRule> deleted;
  Status st = DeleteWebhookAndRules(store, w.id, &deleted);
  std::string names;
  for (const auto& r : deleted) {
    log::Info("event rule deleted with its webhook (ui)",
              {{"id", static_cast<long long>(r.id)},
               {"name", r.name},
               {"webhook", static_cast<long long>(w.id)}});
    names += (names.empty() ? "\"" : ", \"") + r.name + "\"";
  }
  RecordDeleted(c, kWebhookKind, w.id, w.name, st);
  // Replaces RecordDeleted's message: say which rules went with the webhook.
  if (st.ok() && !deleted.empty())
    c.Flash("Webhook \"" + w.name + "\" deleted with event rule" +
            (deleted.size() == 1 ? " " : "s ") + names + ".");
}

void WebhookPages::Preview(Ctx& c, const Webhook& w) {
  const bool admin = c.session->can_write();
  D vars;
  bool bad_sample = false;
  auto event = PickSampleEvent(c, store, vars, &bad_sample);
  vars("w", WebhookValue(w, admin))("rendered", Value())("render_error", "")("response", Value())(
      "rule", c.param("rule"))("rules", RulesTargeting(store, w.id));
  if (!event) return c.Page("webhook_preview.html", std::move(vars), bad_sample ? 400 : 200);
  // Optionally merge the action_data of a rule targeting this webhook, as its tasks would.
  Value action_data;
  if (auto rid = ParseInt(c.param("rule"))) {
    auto rule = store.GetEventRule(*rid);
    if (rule.ok()) action_data = rule->action_data;
  }
  Value context = BuildContext(*event, action_data);
  vars("context", Pretty(context));
  // A fresh message id: a preview is no task, and a test sent from it is a message of its own.
  auto rendered = renderer.Render(w, context, {}, {NewTaskId(), NowUs()});
  if (!rendered.ok()) {
    vars("render_error", rendered.status().message());
    return c.Page("webhook_preview.html", std::move(vars));
  }
  // Only admins see the signature: it would let a reader sign any body they paste.
  bool signed_body = false;
  for (const auto& [k, v] : rendered->headers)
    signed_body |= k == delivery::kSignatureHeader || k == delivery::kWebhookSignatureHeader;
  vars("rendered",
       D()("method", rendered->method)("url", admin ? rendered->url : RedactUrl(rendered->url))(
           "headers", HeaderRows(rendered->headers, admin))("body", rendered->body)(
           "body_pretty", PrettyJsonText(rendered->body))("signed", signed_body)(
           "signature_hidden", signed_body && !admin)
           .value());
  if (!c.post() || c.form.Str("action") != "send")
    return c.Page("webhook_preview.html", std::move(vars));
  // Send test: admins only (Handle refuses it first; this keeps it so), deliver it now,
  // outside the queue, and show the response.
  if (!admin) return c.Error(403, "Your token is read-only: it cannot send tests.");
  // The request a delivery would send (delivery::MakeHttpRequest, as the dispatcher builds it);
  // the transport's network guard applies as for deliveries.
  delivery::HttpRequest hr = delivery::MakeHttpRequest(
      w, std::move(*rendered),
      {options.default_timeout_seconds, options.http_proxy, options.https_proxy});
  log::Info("webhook test send (ui)", {{"webhook", w.name}, {"url", hr.url}});
  auto shared = std::make_shared<Ctx>(std::move(c));
  auto shared_vars = std::make_shared<D>(std::move(vars));
  transport.Submit(std::move(hr), [shared, shared_vars](delivery::HttpResponse resp) {
    (*shared_vars)("response",
                   D()("status", resp.status)("error", resp.error)("body", resp.body_excerpt)(
                       "duration", FmtDuration(resp.duration_us))("final_url", resp.final_url)(
                       "ok", resp.error.empty() && resp.status >= 200 && resp.status <= 299)
                       .value());
    shared->Page("webhook_preview.html", std::move(*shared_vars));
  });
}

}  // namespace herald::web
