// The event and background-task pages: recent events (filtered, paginated) and one event with
// the tasks it created; the queues; task lists filtered by status, webhook, rule and object
// type, never more than one page (kPageSize) loaded; task detail with its attempts, the request
// as sent (or as it would be sent now) and the template context; the task actions (requeue,
// enqueue, stop, delete) and the bulk requeue of failed tasks. See pages.h.
#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/time.h"
#include "delivery/heartbeat.h"
#include "ingest/event_input.h"
#include "model/redact.h"
#include "value/json.h"
#include "web/page_values.h"
#include "web/pages.h"

namespace herald::web {

namespace {

// The page number of a paginated table (?page=, from 1, at most 1,000,000).
int64_t PageParam(const http::Request& req) {
  auto p = ParseInt(req.query_params.Get("page").value_or("1"));
  return p && *p >= 1 ? std::min<int64_t>(*p, 1'000'000) : 1;
}

// HeaderRows of a stored JSON object of headers (attempt logs).
Value HeaderRowsFromJson(const std::string& json, bool show_credentials) {
  List l;
  auto v = ParseJson(json);
  if (!v.ok() || !v->is_dict()) return Value(std::move(l));
  Value shown = show_credentials ? *v : RedactHeaderDict(*v);
  for (const auto& [k, val] : shown.as_dict())
    l.push_back(Value(List{Value(k.str()), Value(val.is_str() ? val.as_str() : val.str())}));
  return Value(std::move(l));
}

}  // namespace

void TaskPages::EventList(Ctx& c) {
  EventFilter f;
  std::string ot = c.req.query_params.Get("object_type").value_or("");
  if (!ot.empty()) f.object_type = ot;
  int64_t page = PageParam(c.req);
  f.limit = kPageSize + 1;  // one more tells whether a next page exists
  f.offset = (page - 1) * kPageSize;
  auto events = store.ListEvents(f);
  if (!events.ok()) return c.Error(500, events.status().message());
  List rows;
  for (size_t i = 0; i < events->size() && i < static_cast<size_t>(kPageSize); ++i)
    rows.push_back(EventRow((*events)[i]));
  c.Page("events.html",
         D()("events", Value(std::move(rows)))("object_type", ot)("page", page)(
             "has_next", static_cast<int64_t>(events->size()) > kPageSize)(
             "qs", ot.empty() ? std::string() : "object_type=" + PercentEncode(ot) + "&")(
             "object_types", ObjectTypesWithEvents(store)));
}

void TaskPages::EventDetail(Ctx& c, int64_t id) {
  auto e = store.GetEvent(id);
  if (!e.ok()) return c.Error(404, "Event " + std::to_string(id) + " does not exist.");
  TaskFilter f;
  f.event_id = id;
  f.limit = kEventTasksShown;
  f.oldest_first = true;
  c.Page("event.html",
         D()("e", EventRow(*e))("json", Pretty(EventToValue(*e)))("tasks", TaskRows(store, f)));
}

void TaskPages::Queues(Ctx& c) {
  auto counts = store.CountByStatus();
  if (!counts.ok()) return c.Error(500, counts.status().message());
  const TimeUs now = NowUs();
  D vars;
  AddQueueSummary(vars, *counts, now);
  // Every node's delivery workers, as their heartbeats in the store describe them.
  auto workers = store.ListWorkers(delivery::WorkerAliveSince(now));
  if (!workers.ok()) return c.Error(500, workers.status().message());
  List rows;
  for (const auto& w : *workers) {
    rows.push_back(D()("name", w.name)("host", w.host)("pid", w.pid)("state", w.state)(
                       "queues", StrList(w.queue_names))("born", FmtTime(w.birth_date))(
                       "heartbeat", FmtAge(std::max<int64_t>(0, now - w.last_heartbeat)))(
                       "succeeded", w.successful_job_count)("failed", w.failed_job_count)(
                       "working", FmtDuration(w.total_working_time))
                       .value());
  }
  vars("workers", Value(std::move(rows)));
  c.Page("queues.html", std::move(vars));
}

void TaskPages::TaskList(Ctx& c) {
  TaskFilter f;
  std::string qs;
  std::string status = c.req.query_params.Get("status").value_or("");
  std::string webhook = c.req.query_params.Get("webhook").value_or("");
  std::string rule = c.req.query_params.Get("rule").value_or("");
  std::string ot = c.req.query_params.Get("object_type").value_or("");
  std::vector<std::string> problems;
  if (!status.empty()) {
    auto s = ParseTaskStatus(status);
    if (s) f.status = *s, qs += "status=" + PercentEncode(status) + "&";
    else problems.push_back("Unknown status \"" + status + "\".");
  }
  if (!webhook.empty()) {
    if (auto id = ParseInt(webhook)) f.webhook_id = *id, qs += "webhook=" + webhook + "&";
    else problems.push_back("Webhook must be an id.");
  }
  if (!rule.empty()) {
    if (auto id = ParseInt(rule)) f.rule_id = *id, qs += "rule=" + rule + "&";
    else problems.push_back("Rule must be an id.");
  }
  if (!ot.empty()) f.object_type = ot, qs += "object_type=" + PercentEncode(ot) + "&";
  auto total = store.CountTasks(f);
  if (!total.ok()) return c.Error(500, total.status().message());
  int64_t pages = std::max<int64_t>(1, (*total + kPageSize - 1) / kPageSize);
  int64_t page = std::min(PageParam(c.req), pages);
  f.limit = kPageSize;
  f.offset = (page - 1) * kPageSize;
  auto tasks = store.ListTasks(f);
  if (!tasks.ok()) return c.Error(500, tasks.status().message());
  List rows;
  for (const auto& t : *tasks) rows.push_back(TaskRow(t));
  auto hooks = store.ListWebhooks();
  auto rules = store.ListEventRules();
  List rule_choices;
  if (rules.ok())
    for (const auto& r : *rules) rule_choices.push_back(D()("id", r.id)("name", r.name).value());
  c.Page("tasks.html",
         D()("tasks", Value(std::move(rows)))("total", *total)("page", page)("pages", pages)(
             "first", *total ? f.offset + 1 : 0)(
             "last", f.offset + static_cast<int64_t>(tasks->size()))("qs", qs)("status", status)(
             "webhook", webhook)("rule", rule)("object_type", ot)("problems", StrList(problems))(
             "webhooks", hooks.ok() ? WebhookChoices(*hooks) : Value(List{}))(
             "rules", Value(std::move(rule_choices)))("object_types", ObjectTypesWithEvents(store))(
             "statuses", StrList({"queued", "started", "scheduled", "finished", "failed"})));
}

void TaskPages::TaskDetail(Ctx& c, const std::string& id) {
  auto t = store.GetTask(id);
  if (!t.ok()) return c.Error(404, "Task " + id + " does not exist.");
  const bool admin = c.session->can_write();
  auto attempts = store.ListAttempts(id);
  List arows;
  Value request;
  if (attempts.ok()) {
    for (const auto& a : *attempts) {
      arows.push_back(D()("number", a.number)("started", FmtTime(a.started_at))(
                          "duration", FmtDuration(a.duration_us))("status_code", a.status_code)(
                          "response", Cut(a.response_excerpt, 2000))("error", a.error)(
                          "ok", a.error.empty() && a.status_code >= 200 && a.status_code <= 299)
                          .value());
    }
    for (auto it = attempts->rbegin(); it != attempts->rend(); ++it) {
      if (it->url.empty() && it->method.empty()) continue;
      const bool recorded = RequestBodyRecorded(*it);
      request = D()("method", it->method)("url", admin ? it->url : RedactUrl(it->url))(
                    "headers", HeaderRowsFromJson(it->request_headers, admin))(
                    "body", recorded ? it->request_body : "")(
                    "body_pretty", recorded ? PrettyJsonText(it->request_body) : "")(
                    "body_note", recorded ? "" : std::string(kRequestBodyNotRecordedNote))(
                    "note", "as sent in attempt " + std::to_string(it->number))
                    .value();
      break;
    }
  }
  std::string context, render_error;
  auto e = store.GetEvent(t->event_id);
  if (e.ok()) {
    Value ctx = BuildContext(*e, t->action_data);
    context = Pretty(ctx);
    if (request.is_none()) {
      auto w = store.GetWebhook(t->webhook_id);
      if (w.ok()) {
        auto r = renderer.Render(*w, ctx, {{"X-Herald-Task", t->id}}, {t->id, NowUs()});
        if (r.ok())
          request = D()("method", r->method)("url", admin ? r->url : RedactUrl(r->url))(
                        "headers", HeaderRows(r->headers, admin))("body", r->body)(
                        "body_pretty", PrettyJsonText(r->body))(
                        "note", "not sent yet: rendered now with the current webhook")
                        .value();
        else render_error = r.status().message();
      } else {
        render_error = "The webhook of this task no longer exists.";
      }
    }
  } else {
    context = "(event " + std::to_string(t->event_id) + " is no longer stored)";
  }
  Value task = TaskRow(*t);
  Dict& td = task.as_dict();
  td.set("error", t->error);
  td.set("result", t->result);
  td.set("enqueued", FmtTime(t->enqueued_at));
  td.set("due", t->status == TaskStatus::kScheduled ? FmtTime(t->due_at) : "");
  td.set("started", FmtTime(t->started_at));
  td.set("worker", t->worker);
  c.Page("task.html",
         D()("t", task)("attempts", Value(std::move(arows)))("request", request)(
             "render_error", render_error)("context", context)(
             "can_requeue", t->status == TaskStatus::kFailed || t->status == TaskStatus::kFinished)(
             "can_enqueue", t->status == TaskStatus::kScheduled)(
             "can_stop", t->status == TaskStatus::kQueued || t->status == TaskStatus::kStarted ||
                             t->status == TaskStatus::kScheduled));
}

void TaskPages::TaskAction(Ctx& c, const std::string& id, const std::string& action) {
  TimeUs now = NowUs();
  herald::Status st;
  if (action == "requeue") st = store.Requeue(id, now);
  else if (action == "enqueue") st = store.Enqueue(id, now);
  else if (action == "stop") st = store.Stop(id, now);
  else if (action == "delete") st = store.DeleteTask(id);
  else return c.Error(404, "Unknown task action \"" + action + "\".");
  std::string short_id = id.substr(0, 8);
  if (!st.ok()) {
    c.Flash("Cannot " + action + " task " + short_id + ": " + st.message(), true);
    return c.Redirect(st.code() == Code::kNotFound ? "/tasks/" : "/tasks/" + id);
  }
  log::Info("task action (ui)", {{"task", id}, {"action", action}});
  static const std::map<std::string, std::string> kDone = {
      {"requeue", "requeued"}, {"enqueue", "enqueued"}, {"stop", "stopped"}, {"delete", "deleted"}};
  c.Flash("Task " + short_id + " " + kDone.at(action) + ".");
  c.Redirect(action == "delete" ? "/tasks/" : "/tasks/" + id);
}

void TaskPages::RequeueFailed(Ctx& c) {
  auto n = store.RequeueAllFailed(NowUs());
  if (!n.ok()) {
    c.Flash("Cannot requeue failed tasks: " + n.status().message(), true);
  } else {
    log::Info("requeued failed tasks (ui)", {{"count", static_cast<long long>(*n)}});
    c.Flash("Requeued " + std::to_string(*n) + " failed task" + (*n == 1 ? "." : "s."));
  }
  c.Redirect("/queues/");
}

}  // namespace herald::web
