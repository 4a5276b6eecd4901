// What records look like on the UI's pages (internal to src/web): formatters for times,
// durations and JSON, the rows the tables show (tasks, events, headers, queue counts), the
// sample-event picker that the webhook preview and the rule check share, and the answer after a
// webhook or rule is saved or deleted. Every value here goes to a template, which escapes it.
// Pure functions, but for those taking a Store (they read it) or a Ctx (they answer through it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "delivery/request.h"
#include "store/store.h"
#include "validation/forms.h"
#include "value/value.h"
#include "web/page.h"

namespace herald::web {

// Response excerpts and bodies shown in tables are cut to this many bytes.
inline constexpr size_t kExcerptChars = 300;

Value StrList(const std::vector<std::string>& v);
// "2024-01-02 03:04:05 UTC"; "" for t <= 0.
std::string FmtTime(TimeUs t);
// "42s", "3m 5s", "2h 10m", "4d 1h".
std::string FmtAge(int64_t us);
// "850 µs", "12.3 ms", "11.20 s".
std::string FmtDuration(int64_t us);
// `s` cut to at most `n` bytes on a UTF-8 boundary, with "…" when cut.
std::string Cut(const std::string& s, size_t n);
// JSON indented by 2, non-ASCII kept.
std::string Pretty(const Value& v);
// `text` re-indented when it is JSON, else unchanged.
std::string PrettyJsonText(const std::string& text);
// A non-negative decimal of at most 18 digits, else nullopt.
std::optional<int64_t> ParseInt(std::string_view s);
// A form field's text, or None when it is empty (an optional field the API reads as null).
Value TextOrNone(const std::string& s);

Value TaskRow(const Task& t);
Value EventRow(const Event& e);
// The TaskRow of each task `filter` lists; empty when the store fails.
Value TaskRows(Store& store, const TaskFilter& filter);
// {field: [message, ...]} for the forms.
Value ErrorsValue(const FieldErrors& errors);
// Headers as [[name, value], ...]; sensitive values hidden unless `show_credentials`.
Value HeaderRows(const delivery::HeaderList& headers, bool show_credentials);
// [{status, count}] for each task status, in the queue's order.
Value CountsValue(const QueueCounts& q);
// Sets counts, queue_depth and oldest_age (of the oldest queued task at `now`) in `vars`.
void AddQueueSummary(D& vars, const QueueCounts& q, TimeUs now);
// [{id, name}] of the webhooks, for a picker.
Value WebhookChoices(const std::vector<Webhook>& hooks);
// [{id, name, enabled}] of the rules that target webhook `id`.
Value RulesTargeting(Store& store, int64_t webhook_id);
// Object types that have events (for the sample pickers), from the rules' object types and the
// latest events, sorted.
Value ObjectTypesWithEvents(Store& store);

// A kind of record the UI edits: its name in messages and logs, and where its pages are.
struct RecordKind {
  const char* noun;     // "webhook"
  const char* Noun;     // "Webhook"
  const char* section;  // "/webhooks/"
};
inline constexpr RecordKind kWebhookKind{"webhook", "Webhook", "/webhooks/"};
inline constexpr RecordKind kRuleKind{"event rule", "Event rule", "/rules/"};
// After a record's form saved it: logs "<noun> created|updated (ui)", leaves the flash message
// "<Noun> "<name>" created.|saved." and redirects to the record's page.
void RecordSaved(Ctx& c, const RecordKind& kind, int64_t id, const std::string& name, bool updated);
// After deleting a record with status `st`: on success logs, flashes "<Noun> "<name>" deleted."
// and redirects to the list; on failure flashes the error and redirects back to the record.
void RecordDeleted(Ctx& c, const RecordKind& kind, int64_t id, const std::string& name,
                   const Status& st);

// The sample event of a preview or check form (parameters sample_json, event, object_type):
// pasted JSON, an event id, or the latest event of an object type. Sets the picker's template
// variables (sample_json, object_type, event_id, sample_error, source) in `vars`. Returns the
// event, or nullopt with *bad set when the choice does not resolve (a 400 page).
std::optional<Event> PickSampleEvent(const Ctx& c, Store& store, D& vars, bool* bad);

}  // namespace herald::web
