// End-to-end delivery benchmark (reports, never asserts).
//
// Workload, all on loopback, every phase bounded in count and time:
//   Receiver: bench/fast_receiver (epoll, keep-alive, 200 with an empty body).
//   Herald: `herald serve` (Release, at most C requests in flight to the receiver per process,
//   C = --connections, default 64) on each store (below).
//   Two webhooks, both signed (secret set): the Slack one-liner body template and the default
//   body (Python json.dumps of the context); two rules on dcim.device, so each event makes 2 tasks.
//   Baselines, once per run against the same receiver binary with the same C: transport_bench's
//   plain libcurl multi client and wrk (raw request rates).
//   1. Throughput, per store, three ways: the workers built into `herald serve`; serve without
//      workers plus 1 `herald worker` process; plus 2 worker processes (all sharing the store).
//      --events (default 20,000) ~1.2 KB device events posted in batches of 500 while delivery
//      runs; deliveries/s = tasks / (first post -> last task finished), and its ratios to the
//      baselines.
//   2. Latency, per store (built-in workers): 1,000 events/s (batches of 10 every 10 ms, from one
//      client, so fewer when a request takes longer than 10 ms) for --latency-seconds (default
//      5), one task per event; event-to-receipt latency = task end - task creation, p50/p99.
//   3. 10,000 in flight, per store: a receiver answering after 1 s, 10,000 one-task events; time
//      to finish, throughput and Herald's peak RSS.
// Stores: SQLite in a temp dir; with --store postgresql://... or --pg-server also PostgreSQL (a
// fresh database per Herald, see Stores in bench_util.h), reported side by side at the end.
//
// Scenarios, run instead of the phases above when named with --scenario (repeatable; "all"
// runs every one), each on a fresh Herald per store with the receivers it names:
//   destinations: 100 receivers on 100 ports (one fast_receiver each), 100 webhooks and rules,
//     so every device event fans out to all of them; --events / 100 events; deliveries/s.
//   isolation: 10,000 events queued for a receiver answering after 1 s, then 1,000 events/s
//     for --latency-seconds to a healthy receiver; the healthy one's p50/p99 as in phase 2.
//   fairness: a burst of --events tasks for webhook A, then 100 for webhook B (both receivers
//     answer at once); how long B's tasks waited (task creation to end), p50/p99/max.
//   https: bench/tls_receiver with a self-signed certificate (openssl, at run time, in a temp
//     dir; the webhooks verify it through ca_file_path), keep-alive; phases 1 and 2's figures.
//
//   delivery_bench [--connections 64] [--events 20000] [--latency-seconds 5] [--skip-10k]
//                  [--store URL | --pg-server] [--scenario NAME]
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>

#include "bench_util.h"
#include "support/wait.h"

using namespace herald::bench;

namespace {

std::string Dir(const char* argv0) {
  std::string p = std::filesystem::absolute(argv0).parent_path().string();
  return p;
}

std::string Event(int i, const char* type) {
  char buf[2048];
  snprintf(
      buf, sizeof buf,
      R"({"event": "created", "object_type": "%s", "username": "admin", "request_id": "3f8e2c1a-6b0d-4c55-9a77-0f6f1f3b%04d", )"
      R"("data": {"id": %d, "url": "/api/dcim/devices/%d/", "display": "web%04d", "name": "web%04d", "address": "10.1.%d.%d/24", )"
      R"("device_type": {"id": 3, "display": "PowerEdge R640", "manufacturer": {"id": 2, "name": "Dell", "slug": "dell"}, "model": "PowerEdge R640"}, )"
      R"("role": {"id": 1, "name": "Server", "slug": "server"}, "tenant": null, "serial": "SN%08d", "site": {"id": 1, "name": "DC1", "slug": "dc1"}, )"
      R"("status": {"value": "active", "label": "Active"}, "description": "benchmark device", "comments": "", "tags": [{"id": 1, "name": "prod", "slug": "prod"}], )"
      R"("custom_fields": {"owner_team": "platform"}, "created": "2026-11-27T09:00:00.000000Z", "last_updated": "2026-11-27T09:00:00.000000Z"}, )"
      R"("snapshots": {"prechange": null, "postchange": {"name": "web%04d", "status": "active"}}})",
      type, i % 10000, i, i, i % 10000, i % 10000, (i / 250) % 250, i % 250, i, i % 10000);
  return buf;
}

std::string Batch(int start, int n, const char* type) {
  std::string b = "[";
  for (int i = 0; i < n; ++i) b += (i ? "," : "") + Event(start + i, type);
  return b + "]";
}

int StartReceiver(Child* rx, const std::string& dir, int delay_ms, int seconds) {
  return StartFastReceiver(rx, dir + "/fast_receiver", delay_ms, seconds);
}

// Waits (bounded) until `want` tasks have ended, finished or failed.
bool WaitFinished(const Herald& h, long long want, std::chrono::seconds deadline) {
  return herald::testing::WaitFor([&] { return h.Count("finished") + h.Count("failed") >= want; },
                                  deadline, std::chrono::milliseconds(20));
}

// Two signed webhooks to `url` and the rules: dcim.device -> both, dcim.site -> the default.
void Configure(const Herald& h, const std::string& url) {
  h.Call(
      "POST", "/api/extras/webhooks/",
      R"({"name": "slack", "payload_url": ")" + url +
          R"(", "secret": "s3cret", "body_template": "{\"text\": \"IP address {{ data['address'] }} was created by {{ username }}!\"}"})");
  h.Call("POST", "/api/extras/webhooks/",
         R"({"name": "default", "payload_url": ")" + url + R"(", "secret": "s3cret"})");
  h.Call(
      "POST", "/api/extras/event-rules/",
      R"({"name": "a", "object_types": ["dcim.device"], "event_types": ["object_created"], "action_object_id": 1})");
  h.Call(
      "POST", "/api/extras/event-rules/",
      R"({"name": "b", "object_types": ["dcim.device"], "event_types": ["object_created"], "action_object_id": 2})");
  h.Call(
      "POST", "/api/extras/event-rules/",
      R"({"name": "c", "object_types": ["dcim.site"], "event_types": ["object_created"], "action_object_id": 2})");
}

// Posts `events` device events (`per_event` tasks each, 2 unless given) and waits for their
// deliveries; deliveries/s, 0 when they did not all finish within 120 s.
double Throughput(const Herald& h, int events, const char* label, int per_event = 2) {
  auto t0 = Clock::now();
  const int kBatch = std::max(1, 1000 / per_event);
  for (int i = 0; i < events; i += kBatch) {
    long st = 0;
    h.Call("POST", "/api/events/", Batch(i, std::min(kBatch, events - i), "dcim.device"), &st);
    if (st != 202) {
      fprintf(stderr, "ingest failed: %ld\n", st);
      break;
    }
  }
  double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
  long long tasks = static_cast<long long>(per_event) * events;
  bool done = WaitFinished(h, tasks, std::chrono::seconds(120));
  double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  printf(
      "  %s: %lld deliveries in %.2f s (ingest took %.2f s): %.0f deliveries/s%s, "
      "failed %lld\n",
      label, tasks, total_s, ingest_s, tasks / total_s, done ? "" : " (DID NOT FINISH in 120 s)",
      h.Count("failed"));
  return done ? tasks / total_s : 0;
}

// Event-to-receipt latencies (task end - task creation, ms) of up to `count` finished tasks of
// `object_type`'s events, from the background-tasks API.
std::vector<double> TaskLatenciesMs(const Herald& h, const std::string& object_type, long count) {
  std::vector<double> lat_ms;
  const std::regex ts(R"re("created_at":"([^"]+)".*?"ended_at":"([^"]+)")re");
  auto parse = [](const std::string& s) {
    struct tm tm = {};
    strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    double frac = 0;
    auto dot = s.find('.');
    if (dot != std::string::npos) frac = std::stod("0" + s.substr(dot, s.size() - dot - 1));
    return static_cast<double>(timegm(&tm)) + frac;
  };
  for (long off = 0; off < count; off += 1000) {
    std::string body =
        h.Call("GET",
               "/api/core/background-tasks/?status=finished&object_type=" + object_type +
                   "&limit=1000&offset=" + std::to_string(off),
               "");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), ts); it != std::sregex_iterator();
         ++it)
      lat_ms.push_back((parse((*it)[2]) - parse((*it)[1])) * 1000.0);
  }
  return lat_ms;
}

// Event-to-receipt latency at 1,000 events/s for `seconds` (dcim.site: one task per event):
// {p50, p99} in ms. `label` names the phase in the report.
std::pair<double, double> Latency(const Herald& h, int seconds,
                                  const char* label = "2. latency at 1,000 events/s") {
  long long before = h.Count("finished") + h.Count("failed");
  int sent = 0, accepted = 0;
  std::map<long, int> refused;  // status -> requests
  auto next = Clock::now();
  auto end = next + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    long st = 0;
    h.Call("POST", "/api/events/", Batch(100000 + sent, 10, "dcim.site"), &st);
    sent += 10;
    if (st == 202) accepted += 10;
    else ++refused[st];
    next += std::chrono::milliseconds(10);
    std::this_thread::sleep_until(next);
  }
  WaitFinished(h, before + accepted, std::chrono::seconds(60));
  std::vector<double> lat_ms = TaskLatenciesMs(h, "dcim.site", accepted);
  std::pair<double, double> p = {Percentile(lat_ms, 0.5), Percentile(lat_ms, 0.99)};
  for (const auto& [status, n] : refused)
    printf("     %d of %d requests answered %ld, not 202\n", n, sent / 10, status);
  printf(
      "  %s for %d s (%d posted: one client, a request waits for the previous one): %zu tasks, "
      "event-to-receipt p50 %.2f ms, p99 %.2f ms\n",
      label, seconds, sent, lat_ms.size(), p.first, p.second);
  return p;
}

// 10,000 one-task events to a receiver answering after 1 s, on a fresh Herald on `store`:
// {seconds to finish (0 when not all did), peak RSS MiB}.
std::pair<double, long> TenThousand(const std::string& dir, const std::string& store) {
  Child slow;
  int slow_port = StartReceiver(&slow, dir, 1000, 600);
  Herald h2;
  std::map<std::string, std::string> env2 = {{"HERALD_LOG_LEVEL", "warning"},
                                             {"HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST", "10000"},
                                             {"HERALD_DELIVERY_MAX_IN_FLIGHT", "10000"}};
  std::pair<double, long> r = {0, 0};
  if (slow_port && h2.Start(env2, store)) {
    h2.Call("POST", "/api/extras/webhooks/",
            R"({"name": "slow", "payload_url": "http://127.0.0.1:)" + std::to_string(slow_port) +
                R"(/", "secret": "s"})");
    h2.Call(
        "POST", "/api/extras/event-rules/",
        R"({"name": "s", "object_types": ["dcim.device"], "event_types": ["object_created"], "action_object_id": 1})");
    long rss0 = h2.child.PeakRssKb();
    auto s0 = Clock::now();
    for (int i = 0; i < 10000; i += 1000)
      h2.Call("POST", "/api/events/", Batch(i, 1000, "dcim.device"));
    bool ok = WaitFinished(h2, 10000, std::chrono::seconds(120));
    double secs = std::chrono::duration<double>(Clock::now() - s0).count();
    r = {ok ? secs : 0, h2.child.PeakRssKb() / 1024};
    printf(
        "  3. 10,000 tasks to a receiver answering after 1 s: %s in %.2f s (%.0f deliveries/s), "
        "herald peak RSS %ld MiB (idle %ld MiB)\n",
        ok ? "all finished" : "NOT finished", secs, 10000 / secs, r.second, rss0 / 1024);
  } else {
    fprintf(stderr, "10,000 in flight: the slow receiver or herald did not start\n");
  }
  h2.Stop();
  slow.Stop();
  return r;
}

// A webhook named `name` to `url` and a rule sending `object_type`'s created events to it (the
// webhook's id is `id`: webhooks are numbered from 1 in creation order on a fresh Herald).
// `extra` adds fields to the webhook (", \"name\": value" JSON text).
void Hook(const Herald& h, int id, const std::string& name, const std::string& url,
          const std::string& object_type, const std::string& extra = "") {
  h.Call("POST", "/api/extras/webhooks/",
         R"({"name": ")" + name + R"(", "payload_url": ")" + url + R"(", "secret": "s")" + extra +
             "}");
  h.Call("POST", "/api/extras/event-rules/",
         R"({"name": ")" + name + R"(", "object_types": [")" + object_type +
             R"("], "event_types": ["object_created"], "action_object_id": )" + std::to_string(id) +
             "}");
}

std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }

// Scenario "destinations": 100 receivers (one fast_receiver per port), 100 webhooks, one per
// receiver, and 100 rules, so each device event fans out to all 100: --events / 100 events
// (at least 10), deliveries/s.
void Destinations(const std::string& dir, const std::string& store, int events,
                  const std::map<std::string, std::string>& env) {
  std::vector<Child> rxs(100);
  Herald h;
  bool ok = h.Start(env, store);
  for (int k = 0; ok && k < 100; ++k) {
    const int port = StartReceiver(&rxs[k], dir, 0, 600);
    ok = port != 0;
    if (ok) Hook(h, k + 1, "d" + std::to_string(k), Url(port), "dcim.device");
  }
  if (ok) Throughput(h, std::max(10, events / 100), "100 destinations, 100 tasks per event", 100);
  else fprintf(stderr, "100 destinations: herald or a receiver did not start\n");
  h.Stop();
  for (auto& rx : rxs) rx.Stop();
}

// Scenario "isolation": 10,000 device events to a receiver answering after 1 s (queued first),
// then 1,000 site events/s for `seconds` to a healthy receiver: the healthy one's p50/p99.
void Isolation(const std::string& dir, const std::string& store, int seconds,
               const std::map<std::string, std::string>& env) {
  Child slow, fast;
  const int slow_port = StartReceiver(&slow, dir, 1000, 600);
  const int fast_port = StartReceiver(&fast, dir, 0, 600);
  Herald h;
  if (slow_port && fast_port && h.Start(env, store)) {
    Hook(h, 1, "slow", Url(slow_port), "dcim.device");
    Hook(h, 2, "healthy", Url(fast_port), "dcim.site");
    for (int i = 0; i < 10000; i += 1000)
      h.Call("POST", "/api/events/", Batch(i, 1000, "dcim.device"));
    Latency(h, seconds,
            "isolation: healthy receiver at 1,000 events/s, 10,000 queued for a 1 s one,");
    printf("     then: %lld tasks finished (both receivers), %lld queued or started\n",
           h.Count("finished"), h.Count("queued") + h.Count("started"));
  } else {
    fprintf(stderr, "isolation: herald or a receiver did not start\n");
  }
  h.Stop();
  slow.Stop();
  fast.Stop();
}

// Scenario "fairness": `burst` device events for webhook A, then 100 site events for webhook B
// (two receivers answering at once): how long B's tasks waited (creation to end), and when A's
// burst finished.
void Fairness(const std::string& dir, const std::string& store, int burst,
              const std::map<std::string, std::string>& env) {
  Child ra, rb;
  const int pa = StartReceiver(&ra, dir, 0, 600), pb = StartReceiver(&rb, dir, 0, 600);
  Herald h;
  if (pa && pb && h.Start(env, store)) {
    Hook(h, 1, "a", Url(pa), "dcim.device");
    Hook(h, 2, "b", Url(pb), "dcim.site");
    auto t0 = Clock::now();
    for (int i = 0; i < burst; i += 1000)
      h.Call("POST", "/api/events/", Batch(i, std::min(1000, burst - i), "dcim.device"));
    const double posted_a = std::chrono::duration<double>(Clock::now() - t0).count();
    const long long a_done_then = h.Count("finished");
    h.Call("POST", "/api/events/", Batch(200000, 100, "dcim.site"));
    const bool done = WaitFinished(h, burst + 100LL, std::chrono::seconds(120));
    const double all_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<double> b = TaskLatenciesMs(h, "dcim.site", 100);
    printf(
        "  fairness: %d tasks for A (posted in %.2f s, %lld finished when B's 100 were posted), "
        "then 100 for B: B waited p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu finished); all done "
        "in %.2f s%s\n",
        burst, posted_a, a_done_then, Percentile(b, 0.5), Percentile(b, 0.99), Percentile(b, 1.0),
        b.size(), all_s, done ? "" : " (NOT all finished in 120 s)");
  } else {
    fprintf(stderr, "fairness: herald or a receiver did not start\n");
  }
  h.Stop();
  ra.Stop();
  rb.Stop();
}

// Scenario "https": bench/tls_receiver with a self-signed certificate for 127.0.0.1, made with
// openssl in a temp dir and given to the webhooks as ca_file_path (verification on), keep-alive:
// throughput (--events device events, one task each) and latency as in phases 1 and 2.
void Https(const std::string& dir, const std::string& store, int events, int seconds,
           const std::map<std::string, std::string>& env) {
  herald::testing::TempDir tmp("tls");
  const std::string cert = tmp.File("cert.pem"), key = tmp.File("key.pem");
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  Child rx;
  std::smatch m;
  int port = 0;
  if (std::system(cmd.c_str()) == 0) {
    rx = Child::Spawn({dir + "/tls_receiver", "--cert", cert, "--key", key, "--seconds", "600"});
    if (rx.WaitFor(std::regex(R"(PORT (\d+))"), &m, std::chrono::seconds(10)))
      port = std::stoi(m.str(1));
  }
  Herald h;
  if (port && h.Start(env, store)) {
    const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/hook";
    const std::string ca = R"(, "ssl_verification": true, "ca_file_path": ")" + cert + "\"";
    Hook(h, 1, "tls-device", url, "dcim.device", ca);
    Hook(h, 2, "tls-site", url, "dcim.site", ca);
    Throughput(h, events, "https: throughput, 1 task per event", 1);
    Latency(h, seconds, "https: latency at 1,000 events/s");
  } else {
    fprintf(stderr, "https: openssl, tls_receiver or herald did not start\n");
  }
  h.Stop();
  rx.Stop();
}

// Runs the named scenarios ("destinations", "isolation", "fairness", "https" or "all") on each
// store instead of the default phases.
int RunScenarios(const std::vector<std::string>& names, const std::string& dir, Stores* stores,
                 int events, int latency_seconds, int connections) {
  auto wanted = [&](const char* n) {
    return std::find(names.begin(), names.end(), n) != names.end() ||
           std::find(names.begin(), names.end(), "all") != names.end();
  };
  std::map<std::string, std::string> env = {
      {"HERALD_LOG_LEVEL", "warning"},
      {"HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST", std::to_string(connections)}};
  for (size_t s = 0; s < stores->size(); ++s) {
    printf("%s:\n", stores->Name(s));
    std::string store;
    if (wanted("destinations") && stores->Fresh(s, &store)) Destinations(dir, store, events, env);
    if (wanted("isolation") && stores->Fresh(s, &store))
      Isolation(dir, store, latency_seconds, env);
    if (wanted("fairness") && stores->Fresh(s, &store)) Fairness(dir, store, events, env);
    if (wanted("https") && stores->Fresh(s, &store))
      Https(dir, store, events, latency_seconds, env);
  }
  return 0;
}

// What one store measured.
struct StoreFigures {
  bool ran = false;
  double rate[3] = {0, 0, 0};  // built-in workers, 1 and 2 worker processes
  std::pair<double, double> latency = {0, 0};
  std::pair<double, long> ten_k = {0, 0};
};

}  // namespace

int main(int argc, char** argv) {
  int connections = 64, events = 20000, latency_seconds = 5;
  bool skip_10k = false;
  std::vector<std::string> scenarios;
  Stores stores;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (stores.Parse(argc, argv, &i)) continue;
    if (a == "--skip-10k") skip_10k = true;
    else if (i + 1 < argc && a == "--scenario") scenarios.push_back(argv[++i]);
    else if (i + 1 < argc && a == "--connections")
      connections = std::clamp(atoi(argv[++i]), 1, 1024);
    else if (i + 1 < argc && a == "--events") events = std::clamp(atoi(argv[++i]), 100, 200000);
    else if (i + 1 < argc && a == "--latency-seconds")
      latency_seconds = std::clamp(atoi(argv[++i]), 1, 60);
  }
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string dir = Dir(argv[0]);

  if (!scenarios.empty())
    return RunScenarios(scenarios, dir, &stores, events, latency_seconds, connections);

  Child rx;
  int rx_port = StartReceiver(&rx, dir, 0, 1800);
  if (!rx_port) {
    fprintf(stderr, "fast_receiver did not start (expected next to this binary)\n");
    return 1;
  }
  std::string url = "http://127.0.0.1:" + std::to_string(rx_port) + "/hook";
  printf(
      "herald delivery benchmark: %d connections to one receiver, 2 signed webhooks (Slack "
      "template, default body), %d events (%d deliveries) per throughput run\n",
      connections, events, 2 * events);

  // Baselines in the same run: transport_bench's plain curl multi client and wrk.
  Child tb = Child::Spawn({dir + "/transport_bench", "--connections", std::to_string(connections),
                           "--seconds", "5", "--skip-10k", "--receiver", dir + "/fast_receiver"});
  std::smatch m;
  tb.WaitFor(std::regex(R"(\(c\)[^\n]*\n)"), &m, std::chrono::seconds(60));
  tb.Stop();
  double curl_rate = 0, wrk_rate = 0;
  if (std::regex_search(tb.buffer, m, std::regex(R"(\(b\)[^\n]*?([0-9]+) req/s)")))
    curl_rate = std::stod(m.str(1));
  if (std::regex_search(tb.buffer, m, std::regex(R"(\(c\)[^\n]*?([0-9]+) req/s)")))
    wrk_rate = std::stod(m.str(1));
  printf(
      "baselines (same receiver, %d connections): plain libcurl multi %.0f req/s, wrk %.0f req/s\n",
      connections, curl_rate, wrk_rate);

  const std::map<std::string, std::string> log_env = {{"HERALD_LOG_LEVEL", "warning"}};
  std::map<std::string, std::string> env = log_env;
  env["HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST"] = std::to_string(connections);
  std::map<std::string, std::string> serve_only = log_env;
  serve_only["HERALD_DELIVERY_WORKERS"] = "false";
  const char* kModes[3] = {"built-in workers", "1 worker process", "2 worker processes"};
  std::vector<StoreFigures> figures(stores.size());
  for (size_t s = 0; s < stores.size(); ++s) {
    printf("%s:\n", stores.Name(s));
    for (int mode = 0; mode < 3; ++mode) {
      std::string store;
      if (!stores.Fresh(s, &store)) break;
      Herald h;
      bool started = h.Start(mode == 0 ? env : serve_only, store);
      for (int w = 0; started && w < mode; ++w) started = h.StartWorker(env);
      if (!started) {
        fprintf(stderr, "herald (%s) on %s did not start\n", kModes[mode], stores.Name(s));
        h.Stop();
        continue;
      }
      Configure(h, url);
      figures[s].rate[mode] =
          Throughput(h, events, (std::string("1. throughput, ") + kModes[mode]).c_str());
      if (mode == 0) figures[s].latency = Latency(h, latency_seconds);
      figures[s].ran = true;
      h.Stop();
    }
    std::string store;
    if (!skip_10k && figures[s].ran && stores.Fresh(s, &store))
      figures[s].ten_k = TenThousand(dir, store);
  }
  rx.Stop();

  // Side by side.
  printf("\nsummary: deliveries/s (/ libcurl multi, / wrk)\n  %-34s", "");
  for (size_t s = 0; s < stores.size(); ++s) printf(" %24s", stores.Name(s));
  for (int mode = 0; mode < 3; ++mode) {
    printf("\n  1. %-31s", kModes[mode]);
    for (size_t s = 0; s < stores.size(); ++s) {
      const double r = figures[s].rate[mode];
      char cell[64] = "-";
      if (r > 0)
        snprintf(cell, sizeof cell, "%.0f (%.2f, %.2f)", r, curl_rate > 0 ? r / curl_rate : 0.0,
                 wrk_rate > 0 ? r / wrk_rate : 0.0);
      printf(" %24s", cell);
    }
  }
  printf("\n  %-34s", "2. latency p50 / p99 ms");
  for (size_t s = 0; s < stores.size(); ++s) {
    char cell[64];
    snprintf(cell, sizeof cell, "%.2f / %.2f", figures[s].latency.first, figures[s].latency.second);
    printf(" %24s", cell);
  }
  if (!skip_10k) {
    printf("\n  %-34s", "3. 10,000 in flight: s, peak MiB");
    for (size_t s = 0; s < stores.size(); ++s) {
      char cell[64] = "-";
      if (figures[s].ten_k.first > 0)
        snprintf(cell, sizeof cell, "%.2f s, %ld MiB", figures[s].ten_k.first,
                 figures[s].ten_k.second);
      printf(" %24s", cell);
    }
  }
  printf("\n");
  return 0;
}
