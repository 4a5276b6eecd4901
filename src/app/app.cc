#include "app/app.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/api.h"
#include "app/handler.h"
#include "auth/auth.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "common/time.h"
#include "delivery/dispatcher.h"
#include "delivery/heartbeat.h"
#include "delivery/net_guard.h"
#include "delivery/renderer.h"
#include "delivery/transport.h"
#include "http/http.h"
#include "store/store.h"
#include "value/json.h"
#include "web/web.h"

namespace herald {

namespace {

TaskDefaults TaskDefaultsOf(const Settings& settings) {
  TaskDefaults d;
  d.default_timeout_seconds = static_cast<int>(settings.delivery.default_timeout);
  d.retention_days = static_cast<int>(settings.delivery.retention_days);
  return d;
}

// Blocks until SIGINT or SIGTERM (blocked since BlockStopSignals) and logs it; a second one
// ends the process at once (common/stop_signal.h).
void AwaitStop() {
  int sig = WaitForStopSignal();
  log::Info("stopping", {{"signal", StopSignalName(sig)}});
}

bool SplitListen(const std::string& listen, std::string* host, uint16_t* port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host->empty();
}

// Prints "herald: [<what>: ]<the error's message>" on stderr; returns the exit code 1.
int Fail(const Status& st, const std::string& what = "") {
  std::cerr << "herald: " << (what.empty() ? "" : what + ": ") << st.message() << "\n";
  return 1;
}

std::unique_ptr<Store> OpenOrDie(const Settings& settings) {
  StoreOpenOptions options;
  options.pool_size = static_cast<int>(settings.store.pool_size);
  auto store = OpenStore(settings.store.url, options);
  if (!store.ok()) {
    Fail(store.status(), "cannot open store " + RedactStoreUrl(settings.store.url));
    return nullptr;
  }
  return std::move(*store);
}

void ApplyLogLevel(const Settings& settings) {
  log::Level level;
  if (log::ParseLevel(settings.log.level, &level)) log::SetLevel(level);
}

// The delivery network guard from delivery.deny_networks / allow_networks (already validated
// by Config::Set; an error here is still reported, never ignored).
std::shared_ptr<delivery::NetGuard> NetGuardOrDie(const Settings& settings) {
  auto guard =
      delivery::NetGuard::Create(settings.delivery.deny_networks, settings.delivery.allow_networks);
  if (!guard.ok()) {
    Fail(guard.status());
    return nullptr;
  }
  return *guard;
}

// The delivery engine: transport + renderer + dispatcher, the worker's heartbeat, and the
// retention sweeper.
class DeliveryEngine {
 public:
  DeliveryEngine(Store& store, const Settings& settings,
                 std::shared_ptr<const delivery::NetGuard> guard)
      : store_(store),
        transport_(TransportOptionsFrom(settings, std::move(guard))),
        renderer_(TemplateOptions(settings)),
        dispatcher_(store, transport_, renderer_, DispatcherOptionsFrom(settings)),
        heartbeat_(store, {dispatcher_.worker_id()}, [this] { return dispatcher_.Stats(); }),
        retention_days_(settings.delivery.retention_days),
        dedupe_window_s_(settings.ingest.dedupe_window),
        grace_(std::chrono::seconds(settings.delivery.shutdown_grace_seconds)) {}

  void Start() {
    dispatcher_.Start();
    heartbeat_.Start();  // listed as a worker from here on
    sweeper_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        if (retention_days_ > 0) {
          lock.unlock();
          auto n = store_.PurgeFinished(NowUs() - retention_days_ * 86400LL * 1000000LL);
          if (n.ok() && *n > 0)
            log::Info("purged finished tasks", {{"count", static_cast<long long>(*n)}});
          lock.lock();
        }
        lock.unlock();
        PurgeDedupeKeys();
        lock.lock();
        cv_.wait_for(lock, std::chrono::minutes(10), [this] { return stop_; });
      }
    });
  }

  // Deletes the idempotency keys older than ingest.dedupe_window (all of them when it is 0), in
  // batches so the writer is never held long; at most kMaxPurgeRounds batches per sweep.
  void PurgeDedupeKeys() {
    constexpr int64_t kBatch = 1000;
    constexpr int kMaxPurgeRounds = 100;
    const TimeUs before = NowUs() - dedupe_window_s_ * 1'000'000LL;
    long long total = 0;
    for (int round = 0; round < kMaxPurgeRounds; ++round) {
      auto n = store_.PurgeDedupeKeys(before, kBatch);
      if (!n.ok()) {
        log::Warning("cannot purge ingest keys", {{"error", n.status().message()}});
        break;
      }
      total += *n;
      if (*n < kBatch) break;
    }
    if (total > 0) log::Info("purged ingest keys", {{"count", total}});
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
    dispatcher_.Stop(grace_);  // waits for in-flight requests, then hands leases back
    heartbeat_.Stop();         // no longer listed as a worker
    transport_.Stop();
  }

  delivery::Dispatcher& dispatcher() { return dispatcher_; }
  delivery::Transport& transport() { return transport_; }

 private:
  static delivery::TransportOptions TransportOptionsFrom(
      const Settings& c, std::shared_ptr<const delivery::NetGuard> guard) {
    delivery::TransportOptions o;
    o.guard = std::move(guard);
    o.max_in_flight = static_cast<size_t>(c.delivery.max_in_flight);
    o.max_in_flight_per_host = static_cast<size_t>(c.delivery.max_in_flight_per_host);
    o.user_agent = std::string("herald/") + kHeraldVersion;
    return o;
  }
  static delivery::DispatcherOptions DispatcherOptionsFrom(const Settings& c) {
    delivery::DispatcherOptions o;
    o.default_timeout_seconds = static_cast<int>(c.delivery.default_timeout);
    o.default_retry.max_attempts = static_cast<int>(c.delivery.max_attempts);
    o.default_retry.kind = c.delivery.retry_policy == "fixed" ? delivery::RetryKind::kFixed
                                                              : delivery::RetryKind::kExponential;
    o.default_retry.interval_seconds = static_cast<int>(c.delivery.retry_interval);
    o.max_in_flight = static_cast<size_t>(c.delivery.max_in_flight);
    o.max_in_flight_per_host = static_cast<size_t>(c.delivery.max_in_flight_per_host);
    o.max_waiting = static_cast<size_t>(c.delivery.max_waiting);
    o.lease_slack_seconds = static_cast<int>(c.delivery.lease_seconds);
    o.max_lease_expiries = static_cast<int>(c.delivery.max_lease_expiries);
    o.http_proxy = c.delivery.http_proxy;
    o.https_proxy = c.delivery.https_proxy;
    o.record_all_bodies = c.delivery.record_bodies == "all";
    return o;
  }

  Store& store_;
  delivery::Transport transport_;
  delivery::Renderer renderer_;
  delivery::Dispatcher dispatcher_;
  delivery::Heartbeat heartbeat_;
  int64_t retention_days_;
  int64_t dedupe_window_s_;
  std::chrono::milliseconds grace_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread sweeper_;
};

// Prometheus text format.
std::string MetricsText(Store& store, DeliveryEngine* engine) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  auto counts = store.CountByStatus();
  if (counts.ok()) {
    line("# HELP herald_tasks Tasks by status.");
    line("# TYPE herald_tasks gauge");
    line("herald_tasks{status=\"queued\"} " + std::to_string(counts->queued));
    line("herald_tasks{status=\"started\"} " + std::to_string(counts->started));
    line("herald_tasks{status=\"scheduled\"} " + std::to_string(counts->scheduled));
    line("herald_tasks{status=\"finished\"} " + std::to_string(counts->finished));
    line("herald_tasks{status=\"failed\"} " + std::to_string(counts->failed));
    line("# HELP herald_queue_depth Tasks waiting to be delivered (queued + scheduled).");
    line("# TYPE herald_queue_depth gauge");
    line("herald_queue_depth " + std::to_string(counts->queued + counts->scheduled));
    double age = counts->oldest_queued_at ? (NowUs() - counts->oldest_queued_at) / 1e6 : 0.0;
    line("# HELP herald_oldest_queued_age_seconds Age of the oldest queued task.");
    line("# TYPE herald_oldest_queued_age_seconds gauge");
    line("herald_oldest_queued_age_seconds " + std::to_string(age));
  }
  // Every process's workers: their heartbeats are in the store.
  auto workers = store.ListWorkers(delivery::WorkerAliveSince(NowUs()));
  if (workers.ok()) {
    line("# HELP herald_workers Delivery worker processes sending heartbeats (all nodes).");
    line("# TYPE herald_workers gauge");
    line("herald_workers " + std::to_string(workers->size()));
  }
  if (engine) {
    auto s = engine->dispatcher().Stats();
    line("# HELP herald_deliveries_total Delivery attempts by outcome.");
    line("# TYPE herald_deliveries_total counter");
    line("herald_deliveries_total{outcome=\"success\"} " + std::to_string(s.succeeded));
    line("herald_deliveries_total{outcome=\"http_error\"} " + std::to_string(s.failed_status));
    line("herald_deliveries_total{outcome=\"network_error\"} " + std::to_string(s.failed_network));
    line("herald_deliveries_total{outcome=\"render_error\"} " + std::to_string(s.failed_render));
    line("# HELP herald_retries_scheduled_total Retries scheduled after failed attempts.");
    line("# TYPE herald_retries_scheduled_total counter");
    line("herald_retries_scheduled_total " + std::to_string(s.retries_scheduled));
    line("# HELP herald_in_flight Tasks leased and not yet recorded (requests in flight).");
    line("# TYPE herald_in_flight gauge");
    line("herald_in_flight " + std::to_string(s.in_flight));
    line(
        "# HELP herald_waiting Of herald_in_flight: leased tasks waiting for a slot of their "
        "destination (delivery.max_in_flight_per_host).");
    line("# TYPE herald_waiting gauge");
    line("herald_waiting " + std::to_string(s.waiting));
    line("# HELP herald_attempt_duration_seconds Duration of delivery attempts.");
    line("# TYPE herald_attempt_duration_seconds histogram");
    for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
      char le[32];
      snprintf(le, sizeof le, "%g", delivery::DispatcherStats::kBuckets[i]);
      line(std::string("herald_attempt_duration_seconds_bucket{le=\"") + le + "\"} " +
           std::to_string(s.latency_buckets[i]));
    }
    line("herald_attempt_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(s.latency_count));
    line("herald_attempt_duration_seconds_sum " + std::to_string(s.latency_sum_seconds));
    line("herald_attempt_duration_seconds_count " + std::to_string(s.latency_count));
  }
  return out;
}

}  // namespace

int RunServe(const Settings& settings) {
  BlockStopSignals();  // before any thread starts
  ApplyLogLevel(settings);
  std::string host;
  uint16_t port = 0;
  if (!SplitListen(settings.server.listen, &host, &port)) {
    std::cerr << "herald: invalid listen address '" << settings.server.listen
              << "' (expected HOST:PORT)\n";
    return 2;
  }
  auto guard = NetGuardOrDie(settings);
  if (!guard) return 2;
  auto store = OpenOrDie(settings);
  if (!store) return 1;

  auto tokens = store->ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  if (tokens->empty()) {
    auto created = CreateApiToken(*store, TokenScope::kAdmin, "admin (created on first start)");
    if (!created.ok()) return Fail(created.status(), "cannot create the admin token");
    const std::string& key = created->key;
    std::cout << "Created the first admin API token. It is shown only this once; keep it:\n\n"
              << "    " << key << "\n\n"
              << "Use it as: curl -H 'Authorization: Token " << key << "' ...\n"
              << std::flush;
    log::Info("admin token created", {{"token_id", static_cast<long long>(created->token.id)},
                                      {"prefix", created->token.key_prefix}});
  }

  ApiOptions api_options;
  api_options.version = kHeraldVersion;
  api_options.public_url = settings.server.public_url;
  api_options.ingest_threads = static_cast<int>(settings.ingest.threads);
  api_options.ingest_queue = static_cast<size_t>(settings.ingest.queue);
  api_options.ingest_queue_bytes = static_cast<size_t>(settings.ingest.queue_bytes);
  api_options.condition_budget = std::chrono::milliseconds(settings.ingest.condition_budget_ms);
  api_options.task_defaults = TaskDefaultsOf(settings);
  api_options.dedupe_window = std::chrono::seconds(settings.ingest.dedupe_window);
  api_options.template_options = TemplateOptions(settings);
  Api api(*store, api_options);
  std::unique_ptr<DeliveryEngine> engine;
  if (settings.delivery.workers) engine = std::make_unique<DeliveryEngine>(*store, settings, guard);
  DeliveryEngine* engine_ptr = engine.get();
  Store* store_ptr = store.get();
  web::WebOptions web_options;
  web_options.version = kHeraldVersion;
  web_options.default_timeout_seconds = static_cast<int>(settings.delivery.default_timeout);
  web_options.http_proxy = settings.delivery.http_proxy;
  web_options.https_proxy = settings.delivery.https_proxy;
  web_options.template_options = TemplateOptions(settings);
  web_options.net_guard = guard;
  web_options.max_sessions_per_token = static_cast<size_t>(settings.ui.max_sessions_per_token);
  web_options.max_failed_sign_ins = static_cast<int>(settings.ui.max_failed_sign_ins);
  web_options.failed_sign_in_window = std::chrono::seconds(settings.ui.failed_sign_in_window);
  web_options.condition_budget = std::chrono::milliseconds(settings.ingest.condition_budget_ms);
  web_options.public_url = settings.server.public_url;
  web_options.trusted_proxies = settings.server.trusted_proxies;
  web::Web web(*store, api.tokens(), engine ? &engine->transport() : nullptr, web_options);

  long fd_limit = http::RaiseFileLimit();
  http::ServerOptions so = ServerOptionsFrom(settings, host, port);
  so.head_check = MakeHeadCheck(api, web);
  http::Server server(so, MakeHandler(api, web, [store_ptr, engine_ptr] {
                        return MetricsText(*store_ptr, engine_ptr);
                      }));
  auto st = server.Start();
  if (!st.ok()) return Fail(st);
  api.SetListenAddress(host, server.port());
  api.Rules();                          // load the rule index before the first event
  guard->SetSelf(host, server.port());  // deliveries never loop back into Herald itself
  if (engine) engine->Start();
  std::cout << "Herald " << kHeraldVersion << " listening on http://" << host << ":"
            << server.port() << "/ (store " << store->Describe() << ")\n"
            << std::flush;
  log::Info("listening", {{"address", host + ":" + std::to_string(server.port())},
                          {"max_connections", server.connection_limit()},
                          {"fd_limit", fd_limit},
                          {"store", store->Describe()},
                          {"version", kHeraldVersion}});
  AwaitStop();
  server.Stop();
  api.Stop();                  // finish queued ingest work before the store closes
  if (engine) engine->Stop();  // stop leasing, grace period, hand leases back
  store->Close();
  log::Info("stopped");
  return 0;
}

int RunWorker(const Settings& settings) {
  BlockStopSignals();  // before any thread starts
  ApplyLogLevel(settings);
  auto guard = NetGuardOrDie(settings);
  if (!guard) return 2;
  // A separate worker still never delivers to the `herald serve` of its configuration.
  std::string listen_host;
  uint16_t listen_port = 0;
  if (SplitListen(settings.server.listen, &listen_host, &listen_port))
    guard->SetSelf(listen_host, listen_port);
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  DeliveryEngine engine(*store, settings, guard);
  engine.Start();
  std::cout << "Herald " << kHeraldVersion << " worker " << engine.dispatcher().worker_id()
            << " delivering from " << store->Describe() << "\n"
            << std::flush;
  AwaitStop();
  engine.Stop();  // stop leasing, grace period, hand leases back
  store->Close();
  log::Info("worker stopped");
  return 0;
}

// ---------------------------------------------------------------- tokens

int RunTokenCreate(const Settings& settings, const std::string& scope, const std::string& name) {
  auto parsed_scope = ParseTokenScope(scope);
  if (!parsed_scope) {
    std::cerr << "herald: unknown token scope '" << scope
              << "' (admin, read-only or ingest-only)\n";
    return 2;
  }
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  auto created = CreateApiToken(*store, *parsed_scope, name.empty() ? scope : name);
  if (!created.ok()) return Fail(created.status());
  std::cout << created->key << "\n";
  std::cerr << "created " << TokenScopeName(created->token.scope) << " token #" << created->token.id
            << " (" << created->token.name << ")\n";
  store->Close();
  return 0;
}

int RunTokenList(const Settings& settings) {
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  auto tokens = store->ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  printf("%-5s %-12s %-10s %-8s %-22s %s\n", "ID", "SCOPE", "PREFIX", "REVOKED", "CREATED", "NAME");
  for (const auto& t : *tokens) {
    printf("%-5lld %-12s %-10s %-8s %-22s %s\n", static_cast<long long>(t.id),
           TokenScopeName(t.scope), t.key_prefix.c_str(), t.revoked ? "yes" : "no",
           FormatIsoUtc(t.created - t.created % 1000000, 'Z').c_str(), t.name.c_str());
  }
  store->Close();
  return 0;
}

namespace {

// Opens the store, runs one operation, prints done() on success or the error. Exit code.
int RunStoreOp(const Settings& settings, const std::function<Status(Store&)>& op,
               const std::function<std::string()>& done) {
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  auto st = op(*store);
  store->Close();
  if (!st.ok()) return Fail(st);
  std::cout << done() << "\n";
  return 0;
}

}  // namespace

int RunTokenRevoke(const Settings& settings, int64_t id) {
  return RunStoreOp(
      settings, [id](Store& s) { return s.RevokeToken(id); },
      [id] { return "revoked token #" + std::to_string(id); });
}

// ---------------------------------------------------------------- tasks

int RunTasksList(const Settings& settings, const std::string& status, int64_t limit, bool json) {
  TaskFilter f;
  if (!status.empty() && status != "all") {
    auto s = ParseTaskStatus(status);
    if (!s) {
      std::cerr << "herald: unknown status '" << status
                << "' (queued, started, scheduled, finished, failed, all)\n";
      return 2;
    }
    f.status = *s;
  }
  f.limit = limit;
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  auto tasks = store->ListTasks(f);
  auto count = store->CountTasks(f);
  if (!tasks.ok() || !count.ok()) return Fail(!tasks.ok() ? tasks.status() : count.status());
  if (json) {
    List l;
    for (const auto& t : *tasks) l.push_back(TaskToJson(t, ""));
    std::cout << DumpJson(Value(std::move(l))) << "\n";
  } else {
    printf("%-36s  %-9s  %-20s  %-20s  %-20s  %-20s  %-15s  %-8s  %s\n", "ID", "STATUS", "CREATED",
           "WEBHOOK", "EVENT RULE", "OBJECT TYPE", "EVENT", "ATTEMPTS", "ERROR");
    for (const auto& t : *tasks) {
      std::string created = FormatIsoUtc(t.created_at - t.created_at % 1000000, 'Z');
      std::string err = t.error.size() > 80 ? t.error.substr(0, 77) + "..." : t.error;
      printf("%-36s  %-9s  %-20s  %-20s  %-20s  %-20s  %-15s  %-8d  %s\n", t.id.c_str(),
             TaskStatusName(t.status), created.c_str(), t.webhook_name.c_str(), t.rule_name.c_str(),
             t.object_type.c_str(), t.event_type.c_str(), t.attempts, err.c_str());
    }
    printf("(%zu of %lld tasks%s)\n", tasks->size(), static_cast<long long>(*count),
           status.empty() ? "" : (" with status " + status).c_str());
  }
  store->Close();
  return 0;
}

int RunTasksShow(const Settings& settings, const std::string& id) {
  auto store = OpenOrDie(settings);
  if (!store) return 1;
  auto t = store->GetTask(id);
  if (!t.ok()) {
    std::cerr << "herald: "
              << (t.status().code() == Code::kNotFound ? "task " + id + " not found"
                                                       : t.status().message())
              << "\n";
    return 1;
  }
  Value v = TaskDetailJson(*store, *t, "", /*show_credentials=*/true,
                           TaskDefaultsOf(settings));  // local operator
  JsonDumpOptions o;
  o.indent = 2;
  o.ensure_ascii = false;
  std::cout << DumpJson(v, o) << "\n";
  store->Close();
  return 0;
}

int RunTasksRequeue(const Settings& settings, const std::string& id, bool all_failed) {
  if (!all_failed) {
    return RunStoreOp(
        settings, [&id](Store& s) { return s.Requeue(id, NowUs()); },
        [&id] { return "requeued task " + id; });
  }
  int64_t n = 0;
  return RunStoreOp(
      settings,
      [&n](Store& s) -> Status {
        auto r = s.RequeueAllFailed(NowUs());
        if (!r.ok()) return r.status();
        n = *r;
        return Status::Ok();
      },
      [&n] { return "requeued " + std::to_string(n) + " failed task(s)"; });
}

int RunTasksDelete(const Settings& settings, const std::string& id) {
  return RunStoreOp(
      settings, [&id](Store& s) { return s.DeleteTask(id); },
      [&id] { return "deleted task " + id; });
}

}  // namespace herald
