#include "app/app.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <cstdio>
#include <iostream>
#include <thread>

#include "api/api.h"
#include "delivery/dispatcher.h"
#include "delivery/renderer.h"
#include "delivery/transport.h"
#include "api/auth.h"
#include "common/log.h"
#include "common/time.h"
#include "http/http.h"
#include "store/store.h"
#include "value/json.h"
#include "web/web.h"

namespace herald {

const char* const kHeraldVersion = "0.1.0";

namespace {

http::Server* g_server = nullptr;
std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop = true;
  if (g_server) g_server->Stop();
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

std::unique_ptr<Store> OpenOrDie(const Config& config) {
  auto store = OpenStore(config.GetString("store.url"));
  if (!store.ok()) {
    std::cerr << "herald: cannot open store " << config.GetString("store.url") << ": "
              << store.status().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

void ApplyLogLevel(const Config& config) {
  log::Level level;
  if (log::ParseLevel(config.GetString("log.level"), &level)) log::SetLevel(level);
}

jinja::Options TemplateOptions(const Config& config) {
  jinja::Options o;
  o.limits.max_output_bytes = static_cast<size_t>(config.GetInt("templates.max_output_bytes"));
  o.limits.max_steps = static_cast<uint64_t>(config.GetInt("templates.max_steps"));
  o.limits.deadline = std::chrono::milliseconds(config.GetInt("templates.deadline_ms"));
  o.limits.max_alloc_bytes = static_cast<size_t>(config.GetInt("templates.max_alloc_bytes"));
  o.env_filter_patterns = config.GetList("templates.env_patterns");
  return o;
}

// The delivery engine: transport + renderer + dispatcher, plus the retention sweeper.
class DeliveryEngine {
 public:
  DeliveryEngine(Store& store, const Config& config)
      : store_(store),
        transport_(TransportOptionsFrom(config)),
        renderer_(TemplateOptions(config)),
        dispatcher_(store, transport_, renderer_, DispatcherOptionsFrom(config)),
        retention_days_(config.GetInt("delivery.retention_days")) {}

  void Start() {
    dispatcher_.Start();
    sweeper_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        if (retention_days_ > 0) {
          lock.unlock();
          auto n = store_.PurgeFinished(NowUs() - retention_days_ * 86400LL * 1000000LL);
          if (n.ok() && *n > 0) log::Info("purged finished tasks", {{"count", static_cast<long long>(*n)}});
          lock.lock();
        }
        cv_.wait_for(lock, std::chrono::minutes(10), [this] { return stop_; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
    dispatcher_.Stop();
    transport_.Stop();
  }

  delivery::Dispatcher& dispatcher() { return dispatcher_; }
  delivery::Transport& transport() { return transport_; }

 private:
  static delivery::TransportOptions TransportOptionsFrom(const Config& c) {
    delivery::TransportOptions o;
    o.max_in_flight = static_cast<size_t>(c.GetInt("delivery.max_in_flight"));
    o.max_in_flight_per_host = static_cast<size_t>(c.GetInt("delivery.max_in_flight_per_host"));
    o.user_agent = std::string("herald/") + kHeraldVersion;
    return o;
  }
  static delivery::DispatcherOptions DispatcherOptionsFrom(const Config& c) {
    delivery::DispatcherOptions o;
    o.default_timeout_seconds = static_cast<int>(c.GetInt("delivery.default_timeout"));
    o.default_retry.max_attempts = static_cast<int>(c.GetInt("delivery.max_attempts"));
    o.default_retry.kind = c.GetString("delivery.retry_policy") == "fixed"
                               ? delivery::RetryKind::kFixed
                               : delivery::RetryKind::kExponential;
    o.default_retry.interval_seconds = static_cast<int>(c.GetInt("delivery.retry_interval"));
    o.max_in_flight = static_cast<size_t>(c.GetInt("delivery.max_in_flight"));
    o.lease_slack_seconds = static_cast<int>(c.GetInt("delivery.lease_seconds"));
    o.http_proxy = c.GetString("delivery.http_proxy");
    o.https_proxy = c.GetString("delivery.https_proxy");
    return o;
  }

  Store& store_;
  delivery::Transport transport_;
  delivery::Renderer renderer_;
  delivery::Dispatcher dispatcher_;
  int64_t retention_days_;
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

int RunServe(const Config& config) {
  ApplyLogLevel(config);
  std::string host;
  uint16_t port;
  if (!SplitListen(config.GetString("server.listen"), &host, &port)) {
    std::cerr << "herald: invalid listen address '" << config.GetString("server.listen")
              << "' (expected HOST:PORT)\n";
    return 2;
  }
  auto store = OpenOrDie(config);
  if (!store) return 1;

  auto tokens = store->ListTokens();
  if (!tokens.ok()) {
    std::cerr << "herald: " << tokens.status().message() << "\n";
    return 1;
  }
  if (tokens->empty()) {
    ApiToken t;
    std::string key = GenerateTokenKey();
    t.name = "admin (created on first start)";
    t.key_hash = HashTokenKey(key);
    t.key_prefix = key.substr(0, 8);
    t.scope = TokenScope::kAdmin;
    auto created = store->CreateToken(t);
    if (!created.ok()) {
      std::cerr << "herald: cannot create the admin token: " << created.status().message() << "\n";
      return 1;
    }
    std::cout << "Created the first admin API token. It is shown only this once; keep it:\n\n"
              << "    " << key << "\n\n"
              << "Use it as: curl -H 'Authorization: Token " << key << "' ...\n"
              << std::flush;
    log::Info("admin token created", {{"token_id", static_cast<long long>(created->id)},
                                      {"prefix", t.key_prefix}});
  }

  ApiOptions api_options;
  api_options.version = kHeraldVersion;
  Api api(*store, api_options);
  std::unique_ptr<DeliveryEngine> engine;
  if (config.GetBool("delivery.workers")) engine = std::make_unique<DeliveryEngine>(*store, config);
  DeliveryEngine* engine_ptr = engine.get();
  Store* store_ptr = store.get();
  web::WebOptions web_options;
  web_options.version = kHeraldVersion;
  web_options.default_timeout_seconds = static_cast<int>(config.GetInt("delivery.default_timeout"));
  web_options.http_proxy = config.GetString("delivery.http_proxy");
  web_options.https_proxy = config.GetString("delivery.https_proxy");
  web_options.template_options = TemplateOptions(config);
  web::Web web(*store, api, engine ? &engine->transport() : nullptr, web_options);

  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = static_cast<int>(config.GetInt("server.threads"));
  so.max_body_bytes = static_cast<size_t>(config.GetInt("server.max_body_bytes"));
  so.idle_timeout_seconds = static_cast<int>(config.GetInt("server.idle_timeout"));
  http::Server server(so, [&api, &web, store_ptr, engine_ptr](http::Request&& req,
                                                         http::Responder respond) {
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
      api.Handle(std::move(req), std::move(respond));
      return;
    }
    if (req.path == "/metrics") {
      http::Response r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = MetricsText(*store_ptr, engine_ptr);
      respond(std::move(r));
      return;
    }
    web.Handle(std::move(req), std::move(respond));  // the UI: every other path
  });
  auto st = server.Start();
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return 1;
  }
  api.Rules();  // load the rule index before the first event
  if (engine) engine->Start();
  std::cout << "Herald " << kHeraldVersion << " listening on http://" << host << ":"
            << server.port() << "/ (store " << store->Describe() << ")\n"
            << std::flush;
  log::Info("listening", {{"address", host + ":" + std::to_string(server.port())},
                          {"store", store->Describe()},
                          {"version", kHeraldVersion}});
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  server.Wait();
  g_server = nullptr;
  server.Stop();
  if (engine) engine->Stop();
  store->Close();
  log::Info("stopped");
  return 0;
}

int RunWorker(const Config& config) {
  ApplyLogLevel(config);
  auto store = OpenOrDie(config);
  if (!store) return 1;
  DeliveryEngine engine(*store, config);
  engine.Start();
  std::cout << "Herald " << kHeraldVersion << " worker " << engine.dispatcher().worker_id()
            << " delivering from " << store->Describe() << "\n"
            << std::flush;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  engine.Stop();
  store->Close();
  log::Info("worker stopped");
  return 0;
}

// ---------------------------------------------------------------- tokens

int RunTokenCreate(const Config& config, const std::string& scope, const std::string& name) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  ApiToken t;
  std::string key = GenerateTokenKey();
  t.name = name.empty() ? scope : name;
  t.key_hash = HashTokenKey(key);
  t.key_prefix = key.substr(0, 8);
  t.scope = scope == "read-only"     ? TokenScope::kReadOnly
            : scope == "ingest-only" ? TokenScope::kIngestOnly
                                     : TokenScope::kAdmin;
  auto created = store->CreateToken(t);
  if (!created.ok()) {
    std::cerr << "herald: " << created.status().message() << "\n";
    return 1;
  }
  std::cout << key << "\n";
  std::cerr << "created " << TokenScopeName(t.scope) << " token #" << created->id << " ("
            << t.name << ")\n";
  store->Close();
  return 0;
}

int RunTokenList(const Config& config) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto tokens = store->ListTokens();
  if (!tokens.ok()) {
    std::cerr << "herald: " << tokens.status().message() << "\n";
    return 1;
  }
  printf("%-5s %-12s %-10s %-8s %-22s %s\n", "ID", "SCOPE", "PREFIX", "REVOKED", "CREATED",
         "NAME");
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
int RunStoreOp(const Config& config, const std::function<Status(Store&)>& op,
               const std::function<std::string()>& done) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto st = op(*store);
  store->Close();
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return 1;
  }
  std::cout << done() << "\n";
  return 0;
}

}  // namespace

int RunTokenRevoke(const Config& config, int64_t id) {
  return RunStoreOp(config, [id](Store& s) { return s.RevokeToken(id); },
                    [id] { return "revoked token #" + std::to_string(id); });
}

// ---------------------------------------------------------------- tasks

int RunTasksList(const Config& config, const std::string& status, int64_t limit, bool json) {
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
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto tasks = store->ListTasks(f);
  auto count = store->CountTasks(f);
  if (!tasks.ok() || !count.ok()) {
    std::cerr << "herald: " << (!tasks.ok() ? tasks.status() : count.status()).message() << "\n";
    return 1;
  }
  if (json) {
    List l;
    for (const auto& t : *tasks) l.push_back(TaskToJson(t, ""));
    std::cout << DumpJson(Value(std::move(l))) << "\n";
  } else {
    printf("%-36s  %-9s  %-20s  %-20s  %-20s  %-16s  %-8s  %s\n", "ID", "STATUS", "CREATED",
           "WEBHOOK", "EVENT RULE", "OBJECT TYPE", "ATTEMPTS", "ERROR");
    for (const auto& t : *tasks) {
      std::string created = FormatIsoUtc(t.created_at - t.created_at % 1000000, 'Z');
      std::string err = t.error.size() > 80 ? t.error.substr(0, 77) + "..." : t.error;
      printf("%-36s  %-9s  %-20s  %-20s  %-20s  %-16s  %-8d  %s\n", t.id.c_str(),
             TaskStatusName(t.status), created.c_str(), t.webhook_name.c_str(),
             t.rule_name.c_str(), (t.object_type + " " + t.event_type).substr(0, 40).c_str(),
             t.attempts, err.c_str());
    }
    printf("(%zu of %lld tasks%s)\n", tasks->size(), static_cast<long long>(*count),
           status.empty() ? "" : (" with status " + status).c_str());
  }
  store->Close();
  return 0;
}

int RunTasksShow(const Config& config, const std::string& id) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto t = store->GetTask(id);
  if (!t.ok()) {
    std::cerr << "herald: " << (t.status().type() == "NotFound" ? "task " + id + " not found" : t.status().message()) << "\n";
    return 1;
  }
  Value v = TaskDetailJson(*store, *t, "");
  JsonDumpOptions o;
  o.indent = 2;
  o.ensure_ascii = false;
  std::cout << DumpJson(v, o) << "\n";
  store->Close();
  return 0;
}

int RunTasksRequeue(const Config& config, const std::string& id, bool all_failed) {
  if (!all_failed) {
    return RunStoreOp(config, [&id](Store& s) { return s.Requeue(id, NowUs()); },
                      [&id] { return "requeued task " + id; });
  }
  int64_t n = 0;
  return RunStoreOp(
      config,
      [&n](Store& s) -> Status {
        auto r = s.RequeueAllFailed(NowUs());
        if (!r.ok()) return r.status();
        n = *r;
        return Status::Ok();
      },
      [&n] { return "requeued " + std::to_string(n) + " failed task(s)"; });
}

int RunTasksDelete(const Config& config, const std::string& id) {
  return RunStoreOp(config, [&id](Store& s) { return s.DeleteTask(id); },
                    [&id] { return "deleted task " + id; });
}

}  // namespace herald
