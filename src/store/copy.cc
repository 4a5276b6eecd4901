#include "store/copy.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald {

namespace {

// A store's configuration: webhooks, rules and tokens.
Result<ImportData> ReadConfig(Store& s) {
  ImportData d;
  auto webhooks = s.ListWebhooks();
  if (!webhooks.ok()) return webhooks.status();
  d.webhooks = std::move(*webhooks);
  auto rules = s.ListEventRules();
  if (!rules.ok()) return rules.status();
  d.rules = std::move(*rules);
  auto tokens = s.ListTokens();
  if (!tokens.ok()) return tokens.status();
  d.tokens = std::move(*tokens);
  return d;
}

// What the target holds, read once before copying.
struct TargetView {
  ImportData config;
  std::optional<Event> newest;  // its newest event
  bool empty() const {
    return config.webhooks.empty() && config.rules.empty() && config.tokens.empty() && !newest;
  }
};

Result<TargetView> ReadTarget(Store& to) {
  TargetView v;
  auto config = ReadConfig(to);
  if (!config.ok()) return config.status();
  v.config = std::move(*config);
  EventFilter f;
  f.limit = 1;
  auto events = to.ListEvents(f);
  if (!events.ok()) return events.status();
  if (!events->empty()) v.newest = std::move(events->front());
  return v;
}

// Whether every record of `have` is, by id, the record of `source` with the same key.
template <typename T, typename Key>
bool SubsetById(const std::vector<T>& have, const std::vector<T>& source, Key key) {
  std::map<int64_t, const T*> by_id;
  for (const T& s : source) by_id[s.id] = &s;
  for (const T& h : have) {
    auto it = by_id.find(h.id);
    if (it == by_id.end() || key(*it->second) != key(h)) return false;
  }
  return true;
}

// Whether the target holds only what a copy of `source` (config in `data`) wrote.
bool IsPartialCopy(Store& from, const TargetView& target, const ImportData& data) {
  const ImportData& have = target.config;
  if (!SubsetById(have.webhooks, data.webhooks, [](const Webhook& w) { return w.name; }) ||
      !SubsetById(have.rules, data.rules, [](const EventRule& r) { return r.name; }) ||
      !SubsetById(have.tokens, data.tokens, [](const ApiToken& t) { return t.key_hash; })) {
    return false;
  }
  if (!target.newest) return true;
  auto same = from.GetEvent(target.newest->id);
  return same.ok() && same->timestamp == target.newest->timestamp &&
         same->received_at == target.newest->received_at &&
         same->object_type == target.newest->object_type;
}

std::string Holds(const TargetView& t) {
  return std::to_string(t.config.webhooks.size()) + " webhook(s), " +
         std::to_string(t.config.rules.size()) + " event rule(s), " +
         std::to_string(t.config.tokens.size()) + " token(s), " +
         (t.newest ? "events up to id " + std::to_string(t.newest->id) : std::string("no events"));
}

void Add(ImportCounts& sum, const ImportCounts& n) {
  sum.imported += n.imported;
  sum.skipped += n.skipped;
}

// The events of `from` after `after_id` (at most `limit`), with their tasks and attempts.
Result<ImportData> ReadEventBatch(Store& from, int64_t after_id, int64_t limit) {
  ImportData data;
  EventFilter ef;
  ef.after_id = after_id;
  ef.oldest_first = true;
  ef.limit = limit;
  auto events = from.ListEvents(ef);
  if (!events.ok()) return events.status();
  data.events = std::move(*events);
  for (const Event& e : data.events) {
    TaskFilter tf;
    tf.event_id = e.id;
    tf.oldest_first = true;
    tf.limit = kCopyTaskPage;
    for (;;) {
      auto tasks = from.ListTasks(tf);
      if (!tasks.ok()) return tasks.status();
      for (Task& t : *tasks) {
        auto attempts = from.ListAttempts(t.id);
        if (!attempts.ok()) return attempts.status();
        for (Attempt& a : *attempts) data.attempts.push_back(std::move(a));
        data.tasks.push_back(std::move(t));
      }
      if (static_cast<int64_t>(tasks->size()) < tf.limit) break;
      tf.offset += tf.limit;
    }
  }
  return data;
}

}  // namespace

Result<CopyReport> CopyStore(Store& from, Store& to, const CopyOptions& options) {
  if (options.batch_events < 1 || options.batch_events > kMaxCopyBatchEvents) {
    return Status(Code::kInvalidArgument,
                  "the batch size must be 1.." + std::to_string(kMaxCopyBatchEvents) + " events");
  }
  if (from.Describe() == to.Describe()) {
    return Status(Code::kInvalidArgument, "cannot copy " + from.Describe() + " onto itself");
  }
  auto config = ReadConfig(from);
  if (!config.ok()) return config.status();
  auto target = ReadTarget(to);
  if (!target.ok()) return target.status();
  CopyReport report;
  int64_t after = 0;
  if (!target->empty()) {
    if (IsPartialCopy(from, *target, *config)) {
      report.resumed = true;
      after = target->newest ? target->newest->id : 0;
    } else if (!options.into_non_empty) {
      return Status(Code::kConflict,
                    "the target store " + to.Describe() + " is not empty (" + Holds(*target) +
                        ") and is not an interrupted copy of " + from.Describe() +
                        "; copy into an empty store, or pass --into-non-empty to copy anyway "
                        "(records whose ids it already has are skipped)");
    }
  }
  auto imported = to.ImportBatch(*config);
  if (!imported.ok()) return imported.status();
  report.config = *imported;
  report.last_event_id = after;

  for (;;) {
    if (options.stop_after_batches > 0 && report.batches >= options.stop_after_batches) {
      report.stopped = true;
      break;
    }
    auto batch = ReadEventBatch(from, after, options.batch_events);
    if (!batch.ok()) return batch.status();
    if (batch->events.empty()) break;
    const int64_t last = batch->events.back().id;
    const int64_t n = static_cast<int64_t>(batch->events.size());
    auto counts = to.ImportBatch(*batch);
    if (!counts.ok()) return counts.status();
    Add(report.history, *counts);
    report.events += n;
    ++report.batches;
    report.last_event_id = after = last;
    if (options.on_batch) options.on_batch(report);
  }
  return report;
}

}  // namespace herald
