// Row mapping and filters of the SQL store: the parts that are not templates (JSON columns,
// rule JSON, WHERE-clause building). See rows.h.
#include "store/rows.h"

#include <algorithm>

#include "store/task_id.h"
#include "value/json.h"

namespace herald::sql {

static_assert(static_cast<int>(TaskStatus::kQueued) == kQueued &&
                  static_cast<int>(TaskStatus::kStarted) == kStarted &&
                  static_cast<int>(TaskStatus::kScheduled) == kScheduled &&
                  static_cast<int>(TaskStatus::kFinished) == kFinished &&
                  static_cast<int>(TaskStatus::kFailed) == kFailed,
              "task status codes are persisted; do not renumber TaskStatus");

std::optional<std::string> JsonOrNull(const Value& v) {
  if (v.is_none()) return std::nullopt;
  return DumpJsonCompact(v);
}

std::optional<std::string> StrOrNull(const Value& v) {
  if (v.is_str()) return v.as_str();
  return std::nullopt;
}

std::string StringListJson(const std::vector<std::string>& items) {
  List list;
  list.reserve(items.size());
  for (const auto& i : items) list.emplace_back(i);
  return DumpJsonCompact(Value(std::move(list)));
}

Result<Value> ParseJsonColumn(std::optional<std::string_view> text, const char* what) {
  if (!text) return Value();
  auto v = ParseJson(*text);
  if (!v.ok())
    return Status(Code::kInternal,
                  std::string("corrupt JSON in ") + what + ": " + v.status().message());
  return std::move(v).value();
}

Result<std::vector<std::string>> ParseStringList(std::optional<std::string_view> text,
                                                 const char* what) {
  auto v = ParseJsonColumn(text, what);
  if (!v.ok()) return v.status();
  std::vector<std::string> out;
  if (v->is_sequence()) {
    for (const auto& item : v->as_list()) {
      if (item.is_str()) out.push_back(item.as_str());
    }
  }
  return out;
}

RuleJson::RuleJson(const EventRule& r)
    : object_types(StringListJson(r.object_types)),
      event_types(StringListJson(r.event_types)),
      conditions(JsonOrNull(r.conditions)),
      action_data(JsonOrNull(r.action_data)) {}

EventRow::EventRow(Event&& e)
    : event(std::move(e.event)),
      event_type(std::move(e.event_type)),
      object_type(std::move(e.object_type)),
      model(std::move(e.model)),
      timestamp(std::move(e.timestamp)),
      username(StrOrNull(e.username)),
      request_id(StrOrNull(e.request_id)),
      data(JsonOrNull(e.data)),
      snapshots(JsonOrNull(e.snapshots)),
      request(JsonOrNull(e.request)),
      context(JsonOrNull(e.context)),
      received_at(e.received_at) {}

bool TargetsWebhook(const EventRule& r) {
  return r.action_type == "webhook" || r.action_object_type == "extras.webhook";
}

int64_t CountOf(const QueueCounts& counts, std::optional<TaskStatus> status) {
  const int64_t by_status[kStatusCount] = {counts.queued, counts.started, counts.scheduled,
                                           counts.finished, counts.failed};
  if (status) return by_status[static_cast<int>(*status)];
  int64_t total = 0;
  for (int64_t n : by_status) total += n;
  return total;
}

Result<int64_t> CountOf(const Result<QueueCounts>& counts, std::optional<TaskStatus> status) {
  if (!counts.ok()) return counts.status();
  return CountOf(*counts, status);
}

Result<AttemptHistogram> EmptyHistogram(TimeUs since, int minutes) {
  if (minutes < 1 || minutes > 1440)
    return Status::Error(Code::kInvalidArgument, "minutes must be between 1 and 1440");
  AttemptHistogram h;
  h.since = since;
  h.succeeded.assign(static_cast<size_t>(minutes), 0);
  h.failed.assign(static_cast<size_t>(minutes), 0);
  return h;
}

Status CheckAttemptOutcome(const AttemptOutcome& outcome) {
  const int next = static_cast<int>(outcome.next_status);
  if (next != kFinished && next != kFailed && next != kScheduled) {
    return Status(Code::kInvalidArgument, std::string("an attempt cannot move a task to ") +
                                              TaskStatusName(outcome.next_status));
  }
  return Status::Ok();
}

Status NotFound(std::string what) {
  return Status(Code::kNotFound, std::move(what) + " not found.");
}
Status Conflict(std::string what) { return Status(Code::kConflict, std::move(what)); }

std::string StatusWord(int status) { return TaskStatusName(static_cast<TaskStatus>(status)); }

Result<TaskRef> ExistingTask(FoundTask found, const std::string& id) {
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFound("task " + id);
  return std::move(**found);
}

Result<TaskRef> TaskIn(FoundTask found, const std::string& id, std::initializer_list<int> allowed,
                       const char* only) {
  auto t = ExistingTask(std::move(found), id);
  if (!t.ok()) return t.status();
  if (std::find(allowed.begin(), allowed.end(), t->status) == allowed.end()) {
    return Conflict("task " + id + " is " + StatusWord(t->status) + "; " + only);
  }
  return t;
}

Result<TaskRef> LeasedTask(FoundTask found, const std::string& id, const std::string& worker) {
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Conflict("task " + id + " no longer exists.");
  TaskRef& t = **found;
  if (t.status != kStarted || t.worker != worker) {
    return Conflict("task " + id + " is no longer leased by worker '" + worker + "' (it is " +
                    StatusWord(t.status) +
                    (t.status == kStarted ? " by '" + t.worker + "'" : std::string()) + ").");
  }
  return std::move(t);
}

std::vector<FlatTask> FlattenTasks(const Event& e, std::vector<Task>& tasks) {
  std::vector<FlatTask> out(tasks.size());
  for (size_t k = 0; k < tasks.size(); ++k) {
    Task& t = tasks[k];
    FlatTask& ft = out[k];
    ft.id = NewTaskId();
    ft.rule_id = t.rule_id;
    ft.webhook_id = t.webhook_id;
    ft.rule_name = std::move(t.rule_name);
    ft.webhook_name = std::move(t.webhook_name);
    ft.object_type = t.object_type.empty() ? e.object_type : std::move(t.object_type);
    ft.event_type = t.event_type.empty() ? e.event_type : std::move(t.event_type);
    ft.action_data = JsonOrNull(t.action_data);
    ft.delayed = t.status == TaskStatus::kScheduled;
    ft.due_at = t.due_at;
  }
  return out;
}

std::vector<FlatEvent> FlattenEvents(std::vector<NewEvent> events) {
  std::vector<FlatEvent> out;
  out.reserve(events.size());
  for (NewEvent& ne : events) {
    // The tasks first: an empty type of theirs is the event's, before it is moved out.
    std::vector<FlatTask> tasks = FlattenTasks(ne.event, ne.tasks);
    out.push_back(FlatEvent{EventRow(std::move(ne.event)), std::move(tasks),
                            std::move(ne.dedupe_key), ne.dedupe_since});
  }
  return out;
}

Status CheckTasksPerEvent(const std::vector<NewEvent>& events, size_t max) {
  for (const NewEvent& e : events) {
    if (e.tasks.size() > max) {
      return Status(Code::kResourceExhausted, "an event may create at most " + std::to_string(max) +
                                                  " tasks, not " + std::to_string(e.tasks.size()));
    }
  }
  return Status::Ok();
}

Status CheckPurgeBatch(int64_t max) {
  if (max < 1 || max > Store::kMaxPurgeBatch) {
    return Status::Error(Code::kInvalidArgument,
                         "purge batch must be 1.." + std::to_string(Store::kMaxPurgeBatch));
  }
  return Status::Ok();
}

std::string JoinTaskIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> SplitTaskIds(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const size_t comma = joined.find(',');
    out.emplace_back(joined.substr(0, comma));
    joined.remove_prefix(comma == std::string_view::npos ? joined.size() : comma + 1);
  }
  return out;
}

void Where::Add(const char* cond) {
  sql += sql.empty() ? " WHERE " : " AND ";
  sql += cond;
}

TaskWhere::TaskWhere(const TaskFilter& f, int task_seq_bits) {
  if (f.status) {
    Add("status = ?");
    args.emplace_back(static_cast<int64_t>(*f.status));
  }
  if (f.webhook_id) {
    Add("webhook_id = ?");
    args.emplace_back(*f.webhook_id);
    only_status = false;
  }
  if (f.rule_id) {
    Add("rule_id = ?");
    args.emplace_back(*f.rule_id);
    only_status = false;
  }
  if (f.event_id) {
    // Tasks of one event are the seq range [id << bits, (id + 1) << bits).
    Add("seq >= ? AND seq < ?");
    args.emplace_back(*f.event_id << task_seq_bits);
    args.emplace_back((*f.event_id + 1) << task_seq_bits);
    only_status = false;
  }
  if (f.object_type) {
    Add("object_type = ?");
    args.emplace_back(*f.object_type);
    only_status = false;
  }
}

EventWhere::EventWhere(const EventFilter& f) {
  if (f.object_type) {
    Add("object_type = ?");
    args.emplace_back(*f.object_type);
  }
  if (f.after_id > 0) {
    Add("id > ?");
    args.emplace_back(f.after_id);
  }
}

}  // namespace herald::sql
