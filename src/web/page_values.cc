// Formatters and row builders the UI's pages share. See page_values.h.
#include "web/page_values.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/log.h"
#include "common/time.h"
#include "ingest/event_input.h"
#include "model/redact.h"
#include "value/json.h"
#include "web/web.h"

namespace herald::web {

Value StrList(const std::vector<std::string>& v) {
  List l;
  for (const auto& s : v) l.push_back(Value(s));
  return Value(std::move(l));
}

std::string FmtTime(TimeUs t) {
  if (t <= 0) return "";
  time_t secs = static_cast<time_t>(t / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + " UTC";
}

std::string FmtAge(int64_t us) {
  if (us < 0) us = 0;
  int64_t s = us / 1000000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) + "h";
}

std::string FmtDuration(int64_t us) {
  char buf[32];
  if (us < 1000) snprintf(buf, sizeof buf, "%lld µs", static_cast<long long>(us));
  else if (us < 10'000'000) snprintf(buf, sizeof buf, "%.1f ms", us / 1000.0);
  else snprintf(buf, sizeof buf, "%.2f s", us / 1e6);
  return buf;
}

std::string Cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // UTF-8 boundary
  return s.substr(0, end) + "…";
}

std::string Pretty(const Value& v) {
  JsonDumpOptions o;
  o.indent = 2;
  o.ensure_ascii = false;
  return DumpJson(v, o);
}

std::string PrettyJsonText(const std::string& text) {
  auto v = ParseJson(text);
  return v.ok() ? Pretty(*v) : text;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

Value TextOrNone(const std::string& s) { return s.empty() ? Value() : Value(s); }

Value TaskRow(const Task& t) {
  return D()("id", t.id)("short_id", t.id.substr(0, 8))("status", TaskStatusName(t.status))(
             "rule", t.rule_name)("rule_id", t.rule_id)("webhook", t.webhook_name)(
             "webhook_id", t.webhook_id)("object_type", t.object_type)("event_type", t.event_type)(
             "event_id", t.event_id)("attempts", t.attempts)("created", FmtTime(t.created_at))(
             "ended", FmtTime(t.ended_at))("error", Cut(t.error, kExcerptChars))(
             "result", Cut(t.result, kExcerptChars))
      .value();
}

Value EventRow(const Event& e) {
  return D()("id", e.id)("event", e.event)("event_type", e.event_type)(
             "object_type", e.object_type)("username",
                                           e.username.is_str() ? e.username : Value(""))(
             "request_id", e.request_id.is_str() ? e.request_id : Value(""))(
             "received", FmtTime(e.received_at))("timestamp", e.timestamp)
      .value();
}

Value TaskRows(Store& store, const TaskFilter& filter) {
  List rows;
  auto tasks = store.ListTasks(filter);
  if (tasks.ok())
    for (const auto& t : *tasks) rows.push_back(TaskRow(t));
  return Value(std::move(rows));
}

Value ErrorsValue(const FieldErrors& errors) {
  Dict d;
  for (const auto& [field, msgs] : errors) d.set(field, StrList(msgs));
  return Value(std::move(d));
}

Value HeaderRows(const delivery::HeaderList& headers, bool show_credentials) {
  List l;
  for (const auto& [k, v] : show_credentials ? headers : RedactHeaders(headers))
    l.push_back(Value(List{Value(k), Value(v)}));
  return Value(std::move(l));
}

Value CountsValue(const QueueCounts& q) {
  List l;
  auto add = [&](const char* name, int64_t n) {
    l.push_back(D()("status", name)("count", n).value());
  };
  add("queued", q.queued);
  add("started", q.started);
  add("scheduled", q.scheduled);
  add("finished", q.finished);
  add("failed", q.failed);
  return Value(std::move(l));
}

void AddQueueSummary(D& vars, const QueueCounts& q, TimeUs now) {
  vars("counts", CountsValue(q))("queue_depth", q.queued + q.scheduled)(
      "oldest_age", q.oldest_queued_at ? FmtAge(now - q.oldest_queued_at) : std::string("—"));
}

Value WebhookChoices(const std::vector<Webhook>& hooks) {
  List l;
  for (const auto& w : hooks) l.push_back(D()("id", w.id)("name", w.name).value());
  return Value(std::move(l));
}

Value RulesTargeting(Store& store, int64_t webhook_id) {
  List l;
  auto rules = store.ListEventRules();
  if (rules.ok())
    for (const auto& r : *rules)
      if (r.action_object_id && *r.action_object_id == webhook_id)
        l.push_back(D()("id", r.id)("name", r.name)("enabled", r.enabled).value());
  return Value(std::move(l));
}

// Cheapest first: rules are few.
Value ObjectTypesWithEvents(Store& store) {
  std::vector<std::string> types;
  auto rules = store.ListEventRules();
  if (rules.ok())
    for (const auto& r : *rules)
      for (const auto& ot : r.object_types)
        if (std::find(types.begin(), types.end(), ot) == types.end()) types.push_back(ot);
  EventFilter ef;
  ef.limit = 20;
  auto recent = store.ListEvents(ef);
  if (recent.ok())
    for (const auto& e : *recent)
      if (std::find(types.begin(), types.end(), e.object_type) == types.end())
        types.push_back(e.object_type);
  std::sort(types.begin(), types.end());
  return StrList(types);
}

void RecordSaved(Ctx& c, const RecordKind& kind, int64_t id, const std::string& name,
                 bool updated) {
  log::Info(std::string(kind.noun) + (updated ? " updated (ui)" : " created (ui)"),
            {{"id", static_cast<long long>(id)}, {"name", name}});
  c.Flash(std::string(kind.Noun) + " \"" + name + (updated ? "\" saved." : "\" created."));
  c.Redirect(kind.section + std::to_string(id));
}

void RecordDeleted(Ctx& c, const RecordKind& kind, int64_t id, const std::string& name,
                   const Status& st) {
  if (!st.ok()) {
    c.Flash("Cannot delete " + std::string(kind.noun) + " \"" + name + "\": " + st.message(), true);
    return c.Redirect(kind.section + std::to_string(id));
  }
  log::Info(std::string(kind.noun) + " deleted (ui)",
            {{"id", static_cast<long long>(id)}, {"name", name}});
  c.Flash(std::string(kind.Noun) + " \"" + name + "\" deleted.");
  c.Redirect(kind.section);
}

namespace {

// An event picked as the sample, and where it came from ("pasted JSON", "event #3", ...).
struct Sample {
  Event event;
  std::string source;
};

// Resolves the sample event chosen in `c`: nullopt when nothing was chosen; an error (its
// message is shown next to the field) when the choice does not resolve.
Result<std::optional<Sample>> SampleEvent(const Ctx& c, Store& store) {
  auto bad = [](std::string message) { return Status::Error(Code::kInvalidArgument, message); };
  std::string json = c.param("sample_json");
  if (!json.empty()) {
    if (json.size() > kMaxSampleBytes) {
      return bad("The sample event is larger than " + std::to_string(kMaxSampleBytes) + " bytes.");
    }
    auto v = ParseJson(json);
    if (!v.ok()) {
      return bad("Invalid JSON: " + v.status().message());
    }
    auto e = EventFromValue(*v, NowUs());
    if (!e.ok()) return bad(e.status().message());
    return std::optional<Sample>(Sample{std::move(*e), "pasted JSON"});
  }
  std::string event_id = c.param("event");
  if (!event_id.empty()) {
    auto id = ParseInt(event_id);
    auto e = id ? store.GetEvent(*id) : Result<Event>(Status::Error(Code::kNotFound, ""));
    if (!e.ok()) {
      return bad("Event " + event_id + " does not exist.");
    }
    return std::optional<Sample>(Sample{std::move(*e), "event #" + event_id});
  }
  std::string ot = c.param("object_type");
  if (!ot.empty()) {
    EventFilter ef;
    ef.object_type = ot;
    ef.limit = 1;
    auto es = store.ListEvents(ef);
    if (!es.ok() || es->empty()) {
      return bad("No event of object type " + ot + " has been received yet.");
    }
    std::string source = "latest " + ot + " event (#" + std::to_string(es->front().id) + ")";
    return std::optional<Sample>(Sample{std::move(es->front()), std::move(source)});
  }
  return std::optional<Sample>();
}

}  // namespace

std::optional<Event> PickSampleEvent(const Ctx& c, Store& store, D& vars, bool* bad) {
  auto sample = SampleEvent(c, store);
  std::string error = sample.ok() ? "" : sample.status().message();
  std::string source = sample.ok() && *sample ? (*sample)->source : "";
  vars("object_types", ObjectTypesWithEvents(store))("sample_json", c.param("sample_json"))(
      "object_type", c.param("object_type"))("event_id", c.param("event"))("sample_error", error)(
      "source", source);
  *bad = !error.empty();
  if (sample.ok() && !*sample && (c.post() || !c.req.query.empty()))
    vars("sample_error", "Choose an object type, an event id, or paste an event.");
  if (!sample.ok() || !*sample) return std::nullopt;
  return std::move((*sample)->event);
}

}  // namespace herald::web
