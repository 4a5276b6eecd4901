// The UI's page families (internal to src/web), one .cc file each: sign-in (login_pages.cc),
// the dashboard (dashboard_page.cc), webhooks (webhook_pages.cc), event rules (rule_pages.cc),
// events and background tasks (task_pages.cc), the explain page (explain_page.cc).
//
// Each family holds references to only the services it uses; web.cc owns them, routes a request
// to a page, and has already checked the session, the CSRF token and write access before any
// page but the sign-in form runs. Every page answers exactly once through its Ctx (page.h).
// Thread-safe: the families keep no state of their own.
#pragma once

#include <optional>
#include <string>

#include "auth/auth.h"
#include "delivery/renderer.h"
#include "delivery/transport.h"
#include "store/store.h"
#include "web/page.h"
#include "web/session.h"
#include "web/sign_in_guard.h"
#include "web/web.h"

namespace herald::web {

// The session cookie's name.
inline constexpr const char* kCookieName = "herald_session";

// The live session of `req`'s cookie (SessionStore::Find: NotFound when there is none, another
// code when the store fails); `touch` records the use (web.cc).
Result<Session> LiveSession(SessionStore& sessions, const http::Request& req, bool touch = true);

// /login (GET: the form; POST: sign in with a token) and POST /logout.
struct LoginPages {
  TokenCache& tokens;
  SessionStore& sessions;
  SignInGuard& guard;

  void Login(Ctx& c);
  void Logout(Ctx& c);
};

// / : task counts, the deliveries-per-minute chart, the latest failures.
struct DashboardPage {
  Store& store;

  void Show(Ctx& c);
};

// /webhooks/...: list, detail, create/edit, delete, preview and send test.
struct WebhookPages {
  Store& store;
  delivery::Renderer& renderer;
  delivery::Transport& transport;  // "send test"
  const WebOptions& options;       // send test's default timeout and proxies

  void List(Ctx& c);
  void Detail(Ctx& c, const Webhook& w);
  // `existing` null: the create form.
  void Edit(Ctx& c, const Webhook* existing);
  // GET: the confirm page listing the event rules deleted with the webhook; POST: deletes the
  // webhook and those rules (DeleteWebhookAndRules, validation/save.h, as the REST API does).
  static constexpr bool kDeleteConfirmPage = true;
  void Delete(Ctx& c, const Webhook& w);
  // GET or POST: the rendered request for a sample event; POST action=send also sends it.
  void Preview(Ctx& c, const Webhook& w);
};

// /rules/...: list, detail, create/edit, delete, check against an event.
struct RulePages {
  Store& store;
  const WebOptions& options;  // the condition budget of "Check"

  void List(Ctx& c);
  void Detail(Ctx& c, const EventRule& r);
  // `existing` null: the create form.
  void Edit(Ctx& c, const EventRule* existing);
  static constexpr bool kDeleteConfirmPage = false;  // the list's button confirms in the browser
  void Delete(Ctx& c, const EventRule& r);
  void Check(Ctx& c, const EventRule& r);
};

// /events/explain: what the rules would do with a sample event (pasted, an event id, or the
// latest of an object type): each rule's match and condition trace, and the request each
// matching rule's webhook would send (api/explain.h, as POST /api/events/explain/ answers;
// credentials redacted for read-only sessions). Nothing is stored or sent.
struct ExplainPage {
  Store& store;
  delivery::Renderer& renderer;
  const WebOptions& options;  // the condition budget and default timeout

  void Show(Ctx& c);
};

// /events/..., /queues/, /tasks/...: events with their tasks, the queues, task lists, task
// detail and the task actions.
struct TaskPages {
  Store& store;
  delivery::Renderer& renderer;  // a task's request, when no attempt has sent it yet

  void EventList(Ctx& c);
  void EventDetail(Ctx& c, int64_t id);
  void Queues(Ctx& c);
  void TaskList(Ctx& c);
  void TaskDetail(Ctx& c, const std::string& id);
  // POST /tasks/{id}/{requeue|enqueue|stop|delete}.
  void TaskAction(Ctx& c, const std::string& id, const std::string& action);
  void RequeueFailed(Ctx& c);
};

}  // namespace herald::web
