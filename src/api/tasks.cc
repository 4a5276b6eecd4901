// Background tasks over the API, shaped like NetBox's core endpoints: the task JSON
// (TaskToJson, TaskDetailJson; the UI and `herald tasks` use them too), the one queue
// ("default") with its counts, and the task list, detail and actions
// (requeue, enqueue, stop, delete).
#include "api/api.h"
#include "api/context.h"
#include "common/log.h"
#include "common/time.h"
#include "ingest/event_input.h"
#include "model/redact.h"
#include "value/json.h"

namespace herald {

using namespace api_util;

Value TaskToJson(const Task& t, const std::string& api_base, const Event* event,
                 const Webhook* webhook, const TaskDefaults* defaults) {
  auto iso = [](TimeUs us) { return us ? Value(FormatIsoUtc(us, 'Z')) : Value(); };
  auto str = [](const Value& v) {
    std::string out;
    AppendPyStr(out, v);
    return Value(std::move(out));
  };
  Dict d;
  d.set("id", t.id);
  d.set("url", api_base + "/api/core/background-tasks/" + t.id + "/");
  d.set("description", "Deliver " + t.object_type + " " + t.event_type + " to webhook \"" +
                           t.webhook_name + "\" (event rule \"" + t.rule_name + "\")");
  d.set("origin", "default");
  d.set("func_name", "extras.webhooks.send_webhook");
  d.set("args", Value(List{}));
  // send_webhook's keyword arguments (SPEC 4.6), each str()-ed as NetBox's serializer does.
  Dict kw;
  kw.set("event_rule", t.rule_name);
  kw.set("object_type", t.object_type);
  kw.set("event_type", t.event_type);
  kw.set("data", event ? str(event->data) : Value());
  kw.set("snapshots", event ? str(event->snapshots) : Value());
  kw.set("timestamp", event ? Value(event->timestamp) : Value());
  kw.set("username", event ? str(event->username) : Value());
  if (event && !event->request.is_none()) kw.set("request", str(event->request));
  d.set("kwargs", Value(std::move(kw)));
  d.set("result", t.result.empty() ? Value() : Value(t.result));
  Value timeout, ttl;
  if (defaults) {
    timeout = webhook && webhook->timeout ? *webhook->timeout : defaults->default_timeout_seconds;
    ttl = static_cast<int64_t>(defaults->retention_days) * 86400;
  }
  d.set("timeout", timeout);
  d.set("result_ttl", ttl);
  d.set("created_at", iso(t.created_at));
  d.set("enqueued_at", iso(t.enqueued_at));
  d.set("started_at", iso(t.started_at));
  d.set("ended_at", iso(t.ended_at));
  d.set("worker_name", t.worker.empty() ? Value() : Value(t.worker));
  d.set("position", Value());
  d.set("status", TaskStatusName(t.status));
  d.set("meta", Value::MakeDict());
  d.set("last_heartbeat", Value());
  d.set("is_finished", t.status == TaskStatus::kFinished);
  d.set("is_queued", t.status == TaskStatus::kQueued);
  d.set("is_failed", t.status == TaskStatus::kFailed);
  d.set("is_started", t.status == TaskStatus::kStarted);
  d.set("is_deferred", false);
  d.set("is_canceled", false);
  d.set("is_scheduled", t.status == TaskStatus::kScheduled);
  d.set("is_stopped", false);
  // Herald additions.
  d.set("event_id", t.event_id);
  d.set("event_rule_id", t.rule_id);
  d.set("webhook_id", t.webhook_id);
  d.set("object_type", t.object_type);
  d.set("event_type", t.event_type);
  d.set("attempts", t.attempts);
  d.set("scheduled_for", t.status == TaskStatus::kScheduled ? iso(t.due_at) : Value());
  d.set("error", t.error.empty() ? Value() : Value(t.error));
  return Value(std::move(d));
}

Value TaskJson(Store& store, const Task& t, const std::string& api_base,
               const TaskDefaults& defaults) {
  auto ev = store.GetEvent(t.event_id);
  auto wh = store.GetWebhook(t.webhook_id);
  return TaskToJson(t, api_base, ev.ok() ? &*ev : nullptr, wh.ok() ? &*wh : nullptr, &defaults);
}

Value TaskDetailJson(Store& store, const Task& task, const std::string& api_base,
                     bool show_credentials, const TaskDefaults& defaults) {
  Value v = TaskJson(store, task, api_base, defaults);
  // The render context the delivery uses (event + the rule's action_data, merged).
  auto ev = store.GetEvent(task.event_id);
  v.as_dict().set("context", ev.ok() ? BuildContext(*ev, task.action_data) : Value());
  auto attempts = store.ListAttempts(task.id);
  List al;
  if (attempts.ok()) {
    for (const auto& a : *attempts) {
      Dict ad;
      ad.set("number", a.number);
      ad.set("started_at", a.started_at ? Value(FormatIsoUtc(a.started_at, 'Z')) : Value());
      ad.set("duration_ms", static_cast<double>(a.duration_us) / 1000.0);
      ad.set("status_code", a.status_code ? Value(a.status_code) : Value());
      ad.set("response_excerpt", a.response_excerpt);
      ad.set("error", a.error.empty() ? Value() : Value(a.error));
      Dict rq;
      rq.set("method", a.method);
      rq.set("url", show_credentials ? a.url : RedactUrl(a.url));
      auto hv = ParseJson(a.request_headers.empty() ? "{}" : a.request_headers);
      Value headers = hv.ok() ? *hv : Value(a.request_headers);
      rq.set("headers", show_credentials ? headers : RedactHeaderDict(headers));
      // A body that was not kept is null with a note, never an empty string that looks sent.
      const bool recorded = RequestBodyRecorded(a);
      rq.set("body", recorded ? Value(a.request_body) : Value());
      rq.set("body_recorded", recorded);
      if (!recorded) rq.set("body_note", std::string(kRequestBodyNotRecordedNote));
      ad.set("request", Value(std::move(rq)));
      al.emplace_back(std::move(ad));
    }
  }
  v.as_dict().set("attempt_log", Value(std::move(al)));
  return v;
}

void Api::Queues(Ctx& c) {
  if (!c.IsRead()) return c.MethodNotAllowed();
  auto counts = store_.CountByStatus();
  if (!counts.ok()) return c.Error(500, counts.status().message());
  if (c.parts.size() == 4 && c.parts[3] != "default") return c.Error(404, "Queue not found.");
  Dict q;
  q.set("name", "default");
  q.set("url", c.api_base + "/api/core/background-queues/default/");
  q.set("jobs", counts->queued);
  q.set("oldest_job_timestamp",
        counts->oldest_queued_at ? Value(FormatIsoUtc(counts->oldest_queued_at, 'Z')) : Value());
  q.set("index", 0);
  q.set("scheduler_pid", Value());
  // Every node's live workers (all deliver from "default").
  auto workers = LiveWorkers();
  q.set("workers", workers.ok() ? Value(static_cast<int64_t>(workers->size())) : Value());
  q.set("finished_jobs", counts->finished);
  q.set("started_jobs", counts->started);
  q.set("deferred_jobs", 0);
  q.set("failed_jobs", counts->failed);
  q.set("scheduled_jobs", counts->scheduled);
  if (c.parts.size() == 4) return c.ReplyValue(200, Value(std::move(q)));
  List results;
  results.emplace_back(std::move(q));
  c.ReplyValue(200, c.Paginated(1, std::move(results), 50, 0));
}

void Api::Tasks(Ctx& c, const std::string& id, const std::string& action) {
  if (id.empty()) {
    if (!c.IsRead()) return c.MethodNotAllowed();
    TaskFilter f;
    std::string status = c.req.query_params.Get("status").value_or("queued");
    if (status != "all") {
      auto s = ParseTaskStatus(status);
      if (!s)
        return c.Error(400, "Unknown status \"" + status +
                                "\": use queued, started, scheduled, finished, failed or all.");
      f.status = *s;
    }
    int64_t n;
    if (auto w = c.req.query_params.Get("webhook_id")) {
      if (!ParseId(*w, &n)) return c.Error(400, "webhook_id must be an integer.");
      f.webhook_id = n;
    }
    if (auto r = c.req.query_params.Get("event_rule_id")) {
      if (!ParseId(*r, &n)) return c.Error(400, "event_rule_id must be an integer.");
      f.rule_id = n;
    }
    if (auto e = c.req.query_params.Get("event_id")) {
      if (!ParseId(*e, &n)) return c.Error(400, "event_id must be an integer.");
      f.event_id = n;
    }
    if (auto ot = c.req.query_params.Get("object_type")) f.object_type = *ot;
    c.Page(options_, &f.limit, &f.offset);
    f.oldest_first = f.status && *f.status == TaskStatus::kQueued;
    auto count = store_.CountTasks(f);
    auto tasks = store_.ListTasks(f);
    if (!count.ok() || !tasks.ok())
      return c.Error(500, (!count.ok() ? count.status() : tasks.status()).message());
    List results;
    for (const auto& t : *tasks)
      results.push_back(TaskJson(store_, t, c.api_base, options_.task_defaults));
    return c.ReplyValue(200, c.Paginated(*count, std::move(results), f.limit, f.offset));
  }
  if (action.empty()) {
    if (!c.IsRead()) return c.MethodNotAllowed();
    auto t = store_.GetTask(id);
    if (!t.ok()) {
      if (t.status().code() == Code::kNotFound) return c.Error(404, "Task " + id + " not found.");
      return c.Error(500, t.status().message());
    }
    Value v = TaskDetailJson(store_, *t, c.api_base, c.ShowCredentials(), options_.task_defaults);
    return c.ReplyValue(200, v);
  }
  if (c.req.method != "POST") return c.MethodNotAllowed();
  herald::Status st;
  int64_t now = NowUs();
  if (action == "requeue") st = store_.Requeue(id, now);
  else if (action == "enqueue") st = store_.Enqueue(id, now);
  else if (action == "stop") st = store_.Stop(id, now);
  else if (action == "delete") st = store_.DeleteTask(id);
  else return c.Error(404, "Unknown action \"" + action + "\".");
  if (!st.ok()) {
    if (st.code() == Code::kNotFound) return c.Error(404, "Task " + id + " not found.");
    return c.Error(st);
  }
  log::Info("task " + action, {{"task", id}, {"token", c.token.name}});
  Dict d;
  d.set("detail", "Task " + id + ": " + action + " done.");
  c.ReplyValue(200, Value(std::move(d)));
}

}  // namespace herald
