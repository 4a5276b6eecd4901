// `herald events explain FILE`: the explain answer (api/explain.h) for the events in FILE against
// the configured store's rules and webhooks, printed as a summary or as JSON. Runs in this
// process, as the other store commands do (`herald tasks show`), with the same code as
// POST /api/events/explain/; nothing is stored or sent.
#include <iostream>
#include <iterator>

#include "api/explain.h"
#include "app/app.h"
#include "common/time.h"
#include "ingest/event_input.h"
#include "jinja/cli.h"
#include "store/store.h"
#include "value/json.h"

namespace herald {

namespace {

// Longest body the summary prints (the JSON answer has it whole).
constexpr size_t kSummaryBodyBytes = 2000;

std::string Json(const Value& v) { return DumpJson(v, {.ensure_ascii = false}); }

const Value& At(const Value& d, const char* key) {
  static const Value none;
  const Value* v = d.get(key);
  return v ? *v : none;
}

void PrintCondition(const Value& c, std::ostream& out) {
  out << "        " << (At(c, "location").as_str().empty() ? "" : At(c, "location").as_str() + " ")
      << At(c, "attr").as_str() << " " << (At(c, "negate").truthy() ? "not " : "")
      << At(c, "op").as_str();
  if (!At(c, "value").is_none()) out << " " << Json(At(c, "value"));
  if (!At(c, "reached").truthy()) {
    out << ": not reached\n";
    return;
  }
  const std::string found = At(c, "found").as_str();
  out << ": saw "
      << (found == "value" ? Json(At(c, "seen"))
          : found == "snapshots"
              ? "before " + Json(At(c, "before")) + ", after " + Json(At(c, "after"))
              : "(" + found + ")");
  if (!At(c, "error").is_none()) out << " -> error: " << At(c, "error").as_str() << "\n";
  else out << " -> " << (At(c, "result").truthy() ? "held" : "did not hold") << "\n";
}

void PrintRule(const Value& r, std::ostream& out) {
  out << "  " << (At(r, "matched").truthy() ? "MATCH   " : "no match") << " rule \""
      << At(r, "name").as_str() << "\" -> webhook \"" << At(At(r, "webhook"), "name").as_str()
      << "\"\n";
  out << "      object type " << (At(r, "object_type_matched").truthy() ? "matched" : "not matched")
      << ", event type " << (At(r, "event_type_matched").truthy() ? "matched" : "not matched")
      << "\n";
  const Value& cond = At(r, "conditions");
  if (cond.is_none()) {
    out << "      no conditions\n";
  } else {
    out << "      conditions: "
        << (!At(cond, "error").is_none()      ? "error: " + At(cond, "error").as_str()
            : !At(cond, "evaluated").truthy() ? std::string("not evaluated")
            : At(cond, "result").truthy()     ? std::string("hold")
                                              : std::string("do not hold"))
        << "\n";
    for (const auto& c : At(cond, "trace").as_list()) PrintCondition(c, out);
  }
  if (!At(r, "matched").truthy()) return;
  if (!At(r, "render_error").is_none()) {
    out << "      render error: " << At(r, "render_error").as_str() << "\n";
    return;
  }
  const Value& req = At(r, "request");
  out << "      " << At(req, "method").as_str() << " " << At(req, "url").as_str() << "\n";
  for (const auto& [k, v] : At(req, "headers").as_dict())
    out << "      " << k.as_str() << ": " << v.as_str() << "\n";
  const Value& body = At(req, "body");
  if (body.is_none()) {
    out << "      (body of " << At(req, "body_bytes").as_int() << " bytes left out)\n";
  } else {
    std::string text = body.as_str();
    bool cut = text.size() > kSummaryBodyBytes;
    if (cut) text.resize(kSummaryBodyBytes);
    out << "      " << text << (cut ? "… (cut; --json shows it whole)" : "") << "\n";
  }
}

}  // namespace

int RunEventsExplain(const Settings& settings, const std::string& file, bool json,
                     std::ostream& out, std::ostream& err) {
  std::string body;
  if (file == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (!jinja::ReadFile(file, &body)) {
    err << "herald: cannot read " << file << "\n";
    return 1;
  }
  // One event, a list, or NDJSON, as POST /api/events/ takes them.
  auto parsed = ParseEvents(body, false, NowUs());
  if (!parsed.ok()) {
    auto lines = ParseEvents(body, true, NowUs());
    if (lines.ok()) parsed = std::move(lines);
  }
  if (!parsed.ok()) {
    err << "herald: " << file << ": " << parsed.status().message() << "\n";
    return 1;
  }
  if (!parsed->errors.empty()) {
    err << "herald: " << file << ": " << parsed->error_count << " invalid event(s)\n";
    for (const auto& e : parsed->errors)
      err << "  event " << e.index << ": " << e.status.message() << "\n";
    return 1;
  }
  if (parsed->events.size() > kMaxExplainEvents) {
    err << "herald: explain takes at most " << kMaxExplainEvents << " events; " << file << " holds "
        << parsed->events.size() << "\n";
    return 1;
  }
  StoreOpenOptions open;
  open.pool_size = static_cast<int>(settings.store.pool_size);
  auto store = OpenStore(settings.store.url, open);
  if (!store.ok()) {
    err << "herald: cannot open store " << RedactStoreUrl(settings.store.url) << ": "
        << store.status().message() << "\n";
    return 1;
  }
  int64_t revision = (*store)->ConfigRevision();
  auto rules = (*store)->ListEventRules();
  auto hooks = (*store)->ListWebhooks();
  if (!rules.ok() || !hooks.ok()) {
    err << "herald: " << (!rules.ok() ? rules.status() : hooks.status()).message() << "\n";
    return 1;
  }
  (*store)->Close();
  delivery::Renderer renderer(TemplateOptions(settings));
  ExplainOptions o;
  o.show_credentials = true;  // the local operator, as `herald tasks show`
  o.condition_budget = std::chrono::milliseconds(settings.ingest.condition_budget_ms);
  o.default_timeout_seconds = static_cast<int>(settings.delivery.default_timeout);
  Value answer = ExplainEvents(parsed->events, *RuleIndex::Build(*rules, *hooks, revision), *hooks,
                               renderer, o);
  if (json) {
    JsonDumpOptions jo;
    jo.indent = 2;
    jo.ensure_ascii = false;
    out << DumpJson(answer, jo) << "\n";
    return 0;
  }
  out << "Nothing was stored or sent. " << At(answer, "rules_considered").as_int()
      << " enabled event rule(s) considered.\n";
  for (const auto& ev : At(answer, "events").as_list()) {
    out << "\nevent " << At(ev, "index").as_int() << ": " << At(ev, "object_type").as_str() << " "
        << At(ev, "event_type").as_str() << " -> " << At(ev, "tasks").as_int() << " task(s)\n";
    for (const auto& r : At(ev, "rules").as_list()) PrintRule(r, out);
  }
  return 0;
}

}  // namespace herald
