// Store benchmark: durable event commits per second through the SQLite store's group commit.
//
// Workload: 64 committer threads each call CommitEventsSync in a loop for a fixed time, with
// batches of 1 and of 100 events. Every event is a NetBox-like change event whose data is
// ~1.5 KB of JSON, and produces 3 tasks (two without action_data, one with a small object).
// The database is a fresh file in a temp directory (WAL, synchronous=FULL); the figures include
// JSON serialisation on the committing threads and the fsync of each group commit.
//
// Record case (the delivery engine's write path, without HTTP): --tasks N tasks (default 30,000,
// committed first in 100-event batches), then rounds of LeaseTasks(256) and one
// RecordAttemptAsync per leased task (a successful attempt, as the dispatcher records it), each
// round waiting for its callbacks. Deterministic work per delivery, so
// `valgrind --tool=callgrind --separate-threads=yes` counts the writer thread's (herald-store)
// instructions per delivery.
//
// Usage: store_bench [seconds-per-case=5] [directory=$TMPDIR]
//        store_bench --record [--tasks N] [directory=$TMPDIR]   (the record case alone)
// Prints, per case: events/s, tasks/s, transactions, events per transaction, mean latency.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "support/events.h"
#include "value/json.h"

namespace {

using herald::NewEvent;
using herald::Value;

// A device-like object of about 1.5 KB as compact JSON.
Value DeviceData(int n) {
  std::string json =
      R"({"id": )" + std::to_string(n) + R"(, "url": "/api/dcim/devices/)" + std::to_string(n) +
      R"(/", "display": "edge-router-)" + std::to_string(n) + R"(", "name": "edge-router-)" +
      std::to_string(n) +
      R"(", "device_type": {"id": 12, "url": "/api/dcim/device-types/12/", )"
      R"("display": "MX204", "manufacturer": {"id": 3, "name": "Juniper", "slug": )"
      R"("juniper"}, "model": "MX204", "slug": "mx204"}, "role": {"id": 4, "name": )"
      R"("Edge router", "slug": "edge-router"}, "tenant": null, "platform": {"id": )"
      R"(2, "name": "Junos", "slug": "junos"}, "serial": "JN1234567890", )"
      R"("asset_tag": null, "site": {"id": 7, "name": "Frankfurt DC2", "slug": )"
      R"("fra2"}, "location": null, "rack": {"id": 31, "name": "R31"}, "position": )"
      R"(24.0, "face": {"value": "front", "label": "Front"}, "status": {"value": )"
      R"("active", "label": "Active"}, "airflow": null, "primary_ip4": {"id": 88, )"
      R"("address": "192.0.2.10/24"}, "primary_ip6": null, "cluster": null, )"
      R"("virtual_chassis": null, "vc_position": null, "vc_priority": null, )"
      R"("description": "Upstream transit edge, redundant pair A", "comments": )"
      R"("Installed 2023-04; maintenance window Tue 02:00 UTC.", "config_template": )"
      R"(null, "local_context_data": {"ntp": ["192.0.2.1", "192.0.2.2"], "syslog": )"
      R"("192.0.2.5"}, "tags": [{"id": 1, "name": "prod", "slug": "prod"}, {"id": 5, )"
      R"("name": "bgp", "slug": "bgp"}], "custom_fields": {"owner": "netops", )"
      R"("cost_center": 4711, "monitored": true}, "created": )"
      R"("2023-04-01T10:00:00.000000Z", "last_updated": "2024-06-01T12:34:56.789012Z"})";
  auto v = herald::ParseJson(json);
  return v.ok() ? *v : Value();
}

NewEvent MakeEvent(int n) {
  NewEvent ne;
  ne.event = herald::testing::ChangeEvent("dcim.device", DeviceData(n), "updated");
  ne.event.timestamp = "2024-06-01T12:34:56.789012+00:00";
  ne.event.username = "admin";
  ne.event.request_id = "4f9c1a5e-0d1e-4c62-9f3a-7c1d2b3a4e5f";
  for (int k = 1; k <= 3; ++k) {
    const std::string id = std::to_string(k);
    herald::Task t = herald::testing::TaskFor(ne.event, k, k, "rule-" + id, "hook-" + id);
    if (k == 3) {
      auto ad = herald::ParseJson(R"({"source": "bench"})");
      if (ad.ok()) t.action_data = *ad;
    }
    ne.tasks.push_back(std::move(t));
  }
  return ne;
}

// Read-side figures on the history just written (100k+ tasks): listing with filters and
// offsets, counting, leasing.
void ReadFigures(herald::SqliteStore& store) {
  auto time_ms = [](auto fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  herald::TaskFilter all;
  const int64_t total = store.CountTasks(all).ok() ? *store.CountTasks(all) : -1;
  herald::TaskFilter by_status;
  by_status.status = herald::TaskStatus::kQueued;
  by_status.offset = total / 2;
  herald::TaskFilter by_webhook;
  by_webhook.webhook_id = 2;
  by_webhook.offset = 1000;
  herald::TaskFilter by_type;
  by_type.object_type = "dcim.device";
  by_type.status = herald::TaskStatus::kQueued;
  std::printf(
      "  tasks=%lld  list(status, offset=half)=%.2fms  list(webhook, offset=1000)=%.2fms  "
      "list(type+status)=%.2fms  count(webhook)=%.2fms  count_by_status=%.3fms  "
      "lease(100)=%.2fms\n",
      static_cast<long long>(total), time_ms([&] { (void)store.ListTasks(by_status); }),
      time_ms([&] { (void)store.ListTasks(by_webhook); }),
      time_ms([&] { (void)store.ListTasks(by_type); }),
      time_ms([&] { (void)store.CountTasks(by_webhook); }),
      time_ms([&] { (void)store.CountByStatus(); }), time_ms([&] {
        (void)store.LeaseTasks("bench", 100,
                               std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count(),
                               30'000'000);
      }));
}

// A new store at `path` (its old files removed); exits when it does not open.
std::unique_ptr<herald::SqliteStore> FreshStore(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  auto opened = herald::SqliteStore::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "open failed: %s\n", opened.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*opened);
}

void RunCase(const std::string& dir, int threads, int batch, double seconds) {
  const std::string path = dir + "/bench-" + std::to_string(batch) + ".db";
  std::error_code ec;
  auto fresh = FreshStore(path);
  auto& store = *fresh;
  const NewEvent prototype = MakeEvent(1);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> events{0}, calls{0}, failures{0}, latency_us{0};
  const int64_t txn0 = store.TransactionCount();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<NewEvent> batch_events(static_cast<size_t>(batch), prototype);
        const auto t0 = std::chrono::steady_clock::now();
        auto r = store.CommitEventsSync(std::move(batch_events));
        const auto t1 = std::chrono::steady_clock::now();
        if (!r.ok()) {
          failures++;
          continue;
        }
        events += batch;
        calls++;
        latency_us += std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t txns = store.TransactionCount() - txn0;
  if (batch > 1) ReadFigures(store);
  store.Close();
  const double db_mb = static_cast<double>(std::filesystem::file_size(path, ec)) / 1e6;
  std::printf(
      "threads=%d batch=%d  events/s=%.0f  tasks/s=%.0f  commits=%lld  transactions=%lld  "
      "events/txn=%.1f  mean_latency_ms=%.2f  failures=%lld  db_mb=%.0f\n",
      threads, batch, events / elapsed, 3.0 * events / elapsed,
      static_cast<long long>(calls.load()), static_cast<long long>(txns),
      txns ? static_cast<double>(events) / static_cast<double>(txns) : 0.0,
      calls ? latency_us / 1000.0 / static_cast<double>(calls) : 0.0,
      static_cast<long long>(failures.load()), db_mb);
  std::fflush(stdout);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

// Leases and records `tasks` tasks (see the file comment); prints deliveries/s and how many
// transactions the records took.
void RecordCase(const std::string& dir, int tasks) {
  const std::string path = dir + "/bench-record.db";
  auto fresh = FreshStore(path);
  auto& store = *fresh;
  const NewEvent prototype = MakeEvent(1);
  for (int done = 0; done < tasks;) {
    const int n = std::min(100, (tasks - done + 2) / 3);
    auto r = store.CommitEventsSync(std::vector<NewEvent>(static_cast<size_t>(n), prototype));
    if (!r.ok()) {
      std::fprintf(stderr, "commit failed: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    done += 3 * n;
  }
  auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  std::mutex mu;
  std::condition_variable cv;
  int64_t recorded = 0, failures = 0;
  const int64_t txn0 = store.TransactionCount();
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < tasks; ++round) {  // bounded: each round leases at least one
    auto leased = store.LeaseTasks("bench", 256, now_us(), 30'000'000);
    if (!leased.ok() || leased->empty()) break;
    int64_t pending = static_cast<int64_t>(leased->size());
    for (const herald::Task& t : *leased) {
      herald::AttemptOutcome o;
      o.attempt.started_at = now_us();
      o.attempt.duration_us = 900;
      o.attempt.status_code = 200;
      o.attempt.method = "POST";
      o.attempt.url = "http://127.0.0.1:8080/hook/" + std::to_string(t.webhook_id);
      o.attempt.request_headers =
          R"({"Content-Type": "application/json", "X-Hook-Signature": "0123456789abcdef"})";
      o.attempt.request_body = std::string(herald::kRequestBodyNotRecorded);
      o.next_status = herald::TaskStatus::kFinished;
      o.result = "Delivered: HTTP 200.";
      store.RecordAttemptAsync(t.id, "bench", std::move(o), [&](herald::Status st) {
        std::lock_guard<std::mutex> lock(mu);
        ++recorded;
        if (!st.ok()) ++failures;
        if (--pending == 0) cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t txns = store.TransactionCount() - txn0;
  store.Close();
  std::printf(
      "record: tasks=%d  recorded=%lld  deliveries/s=%.0f  transactions=%lld (leases "
      "included)  failures=%lld\n",
      tasks, static_cast<long long>(recorded), static_cast<double>(recorded) / elapsed,
      static_cast<long long>(txns), static_cast<long long>(failures));
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--record") == 0) {
    int tasks = 30000;
    int arg = 2;
    if (argc > 3 && std::strcmp(argv[2], "--tasks") == 0) {
      tasks = std::max(3, std::atoi(argv[3]));
      arg = 4;
    }
    std::string dir = argc > arg ? argv[arg] : std::filesystem::temp_directory_path().string();
    dir += "/herald-store-bench-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    RecordCase(dir, tasks);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return 0;
  }
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  std::string dir = argc > 2 ? argv[2] : std::filesystem::temp_directory_path().string();
  dir += "/herald-store-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::printf("store_bench: %.1fs per case, db in %s\n", seconds, dir.c_str());
  const int threads = getenv("STORE_BENCH_THREADS") ? std::atoi(getenv("STORE_BENCH_THREADS")) : 64;
  RunCase(dir, threads, 1, seconds);
  RunCase(dir, threads, 100, seconds);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
