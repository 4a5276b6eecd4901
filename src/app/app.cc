#include "app/app.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "api/api.h"
#include "api/auth.h"
#include "common/log.h"
#include "common/time.h"
#include "http/http.h"
#include "store/store.h"
#include "value/json.h"

namespace herald {

const char* const kHeraldVersion = "0.1.0";

namespace {

http::Server* g_server = nullptr;

void OnSignal(int) {
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

  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.threads = static_cast<int>(config.GetInt("server.threads"));
  so.max_body_bytes = static_cast<size_t>(config.GetInt("server.max_body_bytes"));
  so.idle_timeout_seconds = static_cast<int>(config.GetInt("server.idle_timeout"));
  http::Server server(so, [&api](http::Request&& req, http::Responder respond) {
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
      api.Handle(std::move(req), std::move(respond));
      return;
    }
    if (req.path == "/") {
      respond(http::Response::Text(
          200, std::string("Herald ") + kHeraldVersion +
                   " is running. The REST API is under /api/ (see /api/status/).\n"));
      return;
    }
    respond(http::Response::Json(404, "{\"detail\":\"Not found.\"}"));
  });
  auto st = server.Start();
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return 1;
  }
  api.Rules();  // load the rule index before the first event
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
  store->Close();
  log::Info("stopped");
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

int RunTokenRevoke(const Config& config, int64_t id) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto st = store->RevokeToken(id);
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return 1;
  }
  std::cout << "revoked token #" << id << "\n";
  store->Close();
  return 0;
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
  Value v = TaskToJson(*t, "");
  auto attempts = store->ListAttempts(id);
  List al;
  if (attempts.ok()) {
    for (const auto& a : *attempts) {
      Dict d;
      d.set("number", a.number);
      d.set("started_at", FormatIsoUtc(a.started_at, 'Z'));
      d.set("duration_ms", static_cast<double>(a.duration_us) / 1000.0);
      d.set("status_code", a.status_code);
      d.set("error", a.error);
      d.set("response_excerpt", a.response_excerpt);
      d.set("method", a.method);
      d.set("url", a.url);
      al.emplace_back(std::move(d));
    }
  }
  v.as_dict().set("attempt_log", Value(std::move(al)));
  JsonDumpOptions o;
  o.indent = 2;
  o.ensure_ascii = false;
  std::cout << DumpJson(v, o) << "\n";
  store->Close();
  return 0;
}

int RunTasksRequeue(const Config& config, const std::string& id, bool all_failed) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  if (all_failed) {
    auto n = store->RequeueAllFailed(NowUs());
    if (!n.ok()) {
      std::cerr << "herald: " << n.status().message() << "\n";
      return 1;
    }
    std::cout << "requeued " << *n << " failed task(s)\n";
  } else {
    auto st = store->Requeue(id, NowUs());
    if (!st.ok()) {
      std::cerr << "herald: " << st.message() << "\n";
      return 1;
    }
    std::cout << "requeued task " << id << "\n";
  }
  store->Close();
  return 0;
}

int RunTasksDelete(const Config& config, const std::string& id) {
  auto store = OpenOrDie(config);
  if (!store) return 1;
  auto st = store->DeleteTask(id);
  if (!st.ok()) {
    std::cerr << "herald: " << st.message() << "\n";
    return 1;
  }
  std::cout << "deleted task " << id << "\n";
  store->Close();
  return 0;
}

}  // namespace herald
