// Ingest benchmark (reports, never asserts).
//
// Workload: a real `herald serve` (Release build, workers off) with 20 webhooks and 100 event
// rules over 20 object types (5 rules per type; 2 of the 5 have a condition that fails for the
// posted events, so about 3 rules match each event). 64 keep-alive HTTP/1.1 client connections
// on loopback (epoll, 2 client threads) post 1.5 KB device-shaped events:
//   1. single-event requests (one JSON object per POST),
//   2. 100-event batches (one JSON array per POST).
// Each phase runs for a bounded time (--seconds, default 5, at most 60) and prints accepted
// events/s, tasks/s and p50/p99 request latency. The client shares the 2 cores with the server.
// Baseline in the same run: wrk (2 threads, the same connections and seconds) posting the same
// request body to bench/fast_receiver, which answers at once: the raw HTTP rate of this machine
// for that request. Each phase's req/s is reported as a ratio to it. Also, per store, wrk
// (same connections and seconds) against Herald's own `GET /api/status/`, run on the same Herald
// before the ingest phases: Herald's HTTP rate without ingest. Single-event req/s is also
// reported as a ratio to that figure (issue 13's target: >= 0.35).
//
// Stores: SQLite in a temp dir; with --store postgresql://... or --pg-server also PostgreSQL
// (a fresh database per run, see Stores in bench_util.h), reported side by side.
//
//   ./build/bench/ingest_bench [--seconds 5] [--connections 64] [--store URL | --pg-server]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "support/loopback.h"

namespace {

using herald::bench::Clock;
using herald::bench::Herald;
using herald::bench::Percentile;

std::string g_token;
int g_port = 0;

const char* kTypes[20] = {"dcim.device",
                          "dcim.interface",
                          "dcim.site",
                          "dcim.rack",
                          "dcim.cable",
                          "dcim.location",
                          "ipam.ipaddress",
                          "ipam.prefix",
                          "ipam.vlan",
                          "ipam.vrf",
                          "ipam.aggregate",
                          "circuits.circuit",
                          "circuits.provider",
                          "tenancy.tenant",
                          "tenancy.contact",
                          "virtualization.virtualmachine",
                          "virtualization.cluster",
                          "virtualization.vminterface",
                          "dcim.platform",
                          "dcim.manufacturer"};

// A ~1.5 KB device-shaped event of the given object type.
std::string MakeEvent(int i, const char* type) {
  char buf[4096];
  snprintf(
      buf, sizeof buf,
      R"({"event": "created", "object_type": "%s", "username": "admin", "request_id": "3f8e2c1a-6b0d-4c55-9a77-0f6f1f3b%04d", )"
      R"("data": {"id": %d, "url": "/api/dcim/devices/%d/", "display_url": "/dcim/devices/%d/", "display": "web%04d", "name": "web%04d", )"
      R"("device_type": {"id": 3, "url": "/api/dcim/device-types/3/", "display": "PowerEdge R640", "manufacturer": {"id": 2, "name": "Dell", "slug": "dell"}, "model": "PowerEdge R640", "slug": "poweredge-r640"}, )"
      R"("role": {"id": 1, "url": "/api/dcim/device-roles/1/", "display": "Server", "name": "Server", "slug": "server"}, )"
      R"("tenant": null, "platform": {"id": 4, "name": "Ubuntu 24.04", "slug": "ubuntu-2404"}, "serial": "SN%08d", "asset_tag": null, )"
      R"("site": {"id": 1, "url": "/api/dcim/sites/1/", "display": "DC1", "name": "DC1", "slug": "dc1"}, "location": null, )"
      R"("rack": {"id": 12, "url": "/api/dcim/racks/12/", "display": "R12", "name": "R12"}, "position": 21.0, "face": {"value": "front", "label": "Front"}, )"
      R"("status": {"value": "active", "label": "Active"}, "airflow": null, "primary_ip4": {"id": 88, "address": "10.0.0.%d/24", "family": {"value": 4, "label": "IPv4"}}, )"
      R"("primary_ip6": null, "oob_ip": null, "cluster": null, "virtual_chassis": null, "vc_position": null, "vc_priority": null, "description": "benchmark device", )"
      R"("comments": "", "config_template": null, "local_context_data": null, "tags": [{"id": 1, "name": "prod", "slug": "prod"}, {"id": 2, "name": "web", "slug": "web"}], )"
      R"("custom_fields": {"owner_team": "platform", "backup": true}, "created": "2026-11-27T09:00:00.000000Z", "last_updated": "2026-11-27T09:00:00.000000Z"}, )"
      R"("snapshots": {"prechange": null, "postchange": {"name": "web%04d", "status": "active", "site": 1, "tags": ["prod", "web"]}}})",
      type, i % 10000, i, i, i, i % 10000, i % 10000, i, i % 250, i % 10000);
  return buf;
}

struct Conn {
  int fd = -1;
  std::string out;
  size_t sent = 0;
  std::string in;
  Clock::time_point started;
  int events = 0;
};

struct PhaseResult {
  double seconds = 0;
  uint64_t requests = 0, events = 0, tasks = 0, errors = 0;
  std::vector<double> latencies_ms;
};

// Request body number `b` of a phase posting `batch` events per request.
std::string RequestBody(int b, int batch) {
  if (batch == 1) return MakeEvent(b, kTypes[b % 20]);
  std::string body = "[";
  for (int i = 0; i < batch; ++i) {
    if (i) body += ",";
    body += MakeEvent(b * batch + i, kTypes[(b * batch + i) % 20]);
  }
  return body + "]";
}

// Runs `connections` keep-alive connections for `seconds`; each request posts `batch` events.
PhaseResult RunPhase(int connections, int batch, double seconds) {
  std::vector<std::string> bodies;
  for (int b = 0; b < 64; ++b) {
    std::string body = RequestBody(b, batch);
    bodies.push_back("POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token " +
                     g_token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  PhaseResult total;
  std::mutex mu;
  auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  int threads = 2;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      int ep = epoll_create1(0);
      std::vector<Conn> conns(connections / threads);
      PhaseResult local;
      size_t next_body = t;
      auto send_next = [&](Conn& c) {
        c.out = bodies[next_body++ % bodies.size()];
        c.sent = 0;
        c.in.clear();
        c.started = Clock::now();
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.ptr = &c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      };
      for (auto& c : conns) {
        c.fd = herald::testing::ConnectLoopback(static_cast<uint16_t>(g_port));
        if (c.fd < 0) {
          ++local.errors;
          continue;
        }
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c.fd, F_SETFL, O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        send_next(c);
      }
      epoll_event evs[64];
      char buf[65536];
      int open = static_cast<int>(conns.size());
      while (open > 0) {
        int n = epoll_wait(ep, evs, 64, 100);
        bool over = Clock::now() >= end;
        for (int i = 0; i < n; ++i) {
          Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
          if (c.fd < 0) continue;
          if ((evs[i].events & EPOLLOUT) && c.sent < c.out.size()) {
            ssize_t w = write(c.fd, c.out.data() + c.sent, c.out.size() - c.sent);
            if (w > 0) c.sent += w;
            if (c.sent == c.out.size()) {
              epoll_event ev{};
              ev.events = EPOLLIN;
              ev.data.ptr = &c;
              epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
            }
          }
          if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            ssize_t r = read(c.fd, buf, sizeof buf);
            if (r <= 0) {
              close(c.fd);
              c.fd = -1;
              --open;
              ++local.errors;
              continue;
            }
            c.in.append(buf, r);
            size_t hdr_end = c.in.find("\r\n\r\n");
            if (hdr_end == std::string::npos) continue;
            size_t cl_pos = c.in.find("Content-Length: ");
            size_t cl = cl_pos == std::string::npos ? 0 : std::stoul(c.in.substr(cl_pos + 16));
            if (c.in.size() < hdr_end + 4 + cl) continue;
            double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.started).count();
            local.latencies_ms.push_back(ms);
            ++local.requests;
            if (c.in.compare(9, 3, "202") == 0) {
              std::string body = c.in.substr(hdr_end + 4, cl);
              size_t a = body.find("\"accepted\":"), tk = body.find("\"tasks\":");
              if (a != std::string::npos) local.events += std::stoul(body.substr(a + 11));
              if (tk != std::string::npos) local.tasks += std::stoul(body.substr(tk + 8));
            } else {
              ++local.errors;
            }
            if (over) {
              close(c.fd);
              c.fd = -1;
              --open;
            } else {
              send_next(c);
            }
          }
        }
      }
      close(ep);
      std::lock_guard<std::mutex> lock(mu);
      total.requests += local.requests;
      total.events += local.events;
      total.tasks += local.tasks;
      total.errors += local.errors;
      total.latencies_ms.insert(total.latencies_ms.end(), local.latencies_ms.begin(),
                                local.latencies_ms.end());
    });
  }
  for (auto& t : ts) t.join();
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return total;
}

double RequestRate(const PhaseResult& r) { return r.seconds > 0 ? r.requests / r.seconds : 0; }

void Report(const char* name, const PhaseResult& r, double wrk) {
  printf(
      "  %-22s %9.0f events/s %9.0f tasks/s %8.0f req/s (%.3f of wrk)  p50 %7.2f ms  p99 %7.2f "
      "ms  errors %llu\n",
      name, r.events / r.seconds, r.tasks / r.seconds, RequestRate(r),
      wrk > 0 ? RequestRate(r) / wrk : 0.0, Percentile(r.latencies_ms, 0.50),
      Percentile(r.latencies_ms, 0.99), static_cast<unsigned long long>(r.errors));
}

// 20 webhooks and 100 rules on `h`: 5 per object type, 2 of which never match (condition).
// Returns the number of rules created.
int Configure(const Herald& h) {
  for (int w = 0; w < 20; ++w) {
    long st;
    h.Call("POST", "/api/extras/webhooks/",
           R"({"name": "hook)" + std::to_string(w) + R"(", "payload_url": "http://127.0.0.1:9/h"})",
           &st);
  }
  int rules = 0;
  for (int t = 0; t < 20; ++t) {
    for (int k = 0; k < 5; ++k) {
      std::string cond =
          k < 3
              ? R"({"attr": "status.value", "value": "active"})"
              : R"({"and": [{"attr": "status.value", "value": "active"}, {"attr": "name", "value": "db", "op": "regex"}]})";
      long st;
      h.Call("POST", "/api/extras/event-rules/",
             R"({"name": "rule)" + std::to_string(t) + "-" + std::to_string(k) +
                 R"(", "object_types": [")" + kTypes[t] +
                 R"("], "event_types": ["object_created"], "action_object_id": )" +
                 std::to_string(1 + (t + k) % 20) + R"(, "conditions": )" + cond + "}",
             &st);
      rules += st == 201;
    }
  }
  return rules;
}

// wrk's rate posting a request of `batch` events to a fresh bench/fast_receiver next to argv0.
double WrkBaseline(const std::string& argv0, int connections, double seconds, int batch) {
  herald::bench::Child rx;
  const std::string receiver =
      std::filesystem::absolute(argv0).parent_path().string() + "/fast_receiver";
  const int port = herald::bench::StartFastReceiver(&rx, receiver, 0, 600);
  double rate = -1;
  if (port) {
    rate = herald::bench::RunWrk(
        "http://127.0.0.1:" + std::to_string(port) + "/api/events/", connections, 2,
        std::max(1, static_cast<int>(seconds + 0.5)), RequestBody(0, batch),
        {"Content-Type: application/json", "Authorization: Token " + std::string(40, '0')});
  }
  rx.Stop();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int connections = 64;
  herald::bench::Stores stores;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (stores.Parse(argc, argv, &i)) continue;
    if (i + 1 < argc && a == "--seconds") seconds = std::clamp(atof(argv[++i]), 1.0, 60.0);
    else if (i + 1 < argc && a == "--connections") connections = std::max(2, atoi(argv[++i]));
  }
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const double wrk_single = WrkBaseline(argv[0], connections, seconds, 1);
  const double wrk_batch = WrkBaseline(argv[0], connections, seconds, 100);
  printf(
      "herald ingest benchmark: 100 rules over 20 object types, %d keep-alive connections, %.0f s "
      "per phase, event size %zu bytes\n"
      "baseline: wrk posting the same request to fast_receiver: single event %.0f req/s, "
      "100-event batch %.0f req/s\n",
      connections, seconds, MakeEvent(1, kTypes[0]).size(), wrk_single, wrk_batch);
  std::vector<std::pair<PhaseResult, PhaseResult>> results(stores.size());
  std::vector<bool> ran(stores.size(), false);
  std::vector<double> status_rate(stores.size(), -1);
  for (size_t s = 0; s < stores.size(); ++s) {
    std::string url;
    if (!stores.Fresh(s, &url)) continue;
    Herald h;
    if (!h.Start({{"HERALD_DELIVERY_WORKERS", "false"}, {"HERALD_LOG_LEVEL", "warning"}}, url)) {
      fprintf(stderr, "herald serve on %s did not start\n", stores.Name(s));
      h.Stop();
      continue;
    }
    g_port = h.port;
    g_token = h.token;
    const int rules = Configure(h);
    status_rate[s] =
        herald::bench::RunWrk("http://127.0.0.1:" + std::to_string(h.port) + "/api/status/",
                              connections, 2, std::max(1, static_cast<int>(seconds + 0.5)), "",
                              {"Authorization: Token " + h.token}, "GET");
    printf("%s (%d rules): wrk GET /api/status/ on this herald: %.0f req/s\n", stores.Name(s),
           rules, status_rate[s]);
    results[s].first = RunPhase(connections, 1, seconds);
    Report("single-event requests", results[s].first, wrk_single);
    printf("  %-22s %.3f of wrk GET /api/status/\n", "",
           status_rate[s] > 0 ? RequestRate(results[s].first) / status_rate[s] : 0.0);
    results[s].second = RunPhase(connections, 100, seconds);
    Report("100-event batches", results[s].second, wrk_batch);
    ran[s] = true;
    h.Stop();
  }
  // Side by side: events/s (request rate as a ratio to wrk's).
  printf("\nsummary: events/s (req/s / wrk req/s)\n  %-22s", "");
  for (size_t s = 0; s < stores.size(); ++s) printf(" %24s", stores.Name(s));
  for (int phase = 0; phase < 2; ++phase) {
    printf("\n  %-22s", phase == 0 ? "single-event requests" : "100-event batches");
    for (size_t s = 0; s < stores.size(); ++s) {
      const PhaseResult& r = phase == 0 ? results[s].first : results[s].second;
      const double wrk = phase == 0 ? wrk_single : wrk_batch;
      char cell[64] = "did not run";
      if (ran[s])
        snprintf(cell, sizeof cell, "%.0f (%.3f)", r.events / r.seconds,
                 wrk > 0 ? RequestRate(r) / wrk : 0.0);
      printf(" %24s", cell);
    }
  }
  printf("\n  %-22s", "single req/s / status");
  for (size_t s = 0; s < stores.size(); ++s) {
    char cell[64] = "did not run";
    if (ran[s] && status_rate[s] > 0)
      snprintf(cell, sizeof cell, "%.0f / %.0f = %.3f", RequestRate(results[s].first),
               status_rate[s], RequestRate(results[s].first) / status_rate[s]);
    printf(" %24s", cell);
  }
  printf("\n");
  return 0;
}
