// transport_bench: throughput and memory of the delivery Transport (libcurl multi, one thread).
//
// Workload (all on loopback, every loop bounded in count and time):
//   Target: bench/fast_receiver (epoll, keep-alive, answers 200 with an empty body), 1 thread,
//   started as a subprocess.
//   Request: POST of the 488-byte default NetBox body (SPEC §5.4 example) with Content-Type and
//   X-Hook-Signature, i.e. a realistic webhook.
//   (a) Herald Transport, max_in_flight = max_in_flight_per_host = C, a submit window of 4*C,
//       for --seconds (default 5) or 2,000,000 requests.
//   (b) A plain libcurl multi client with C reused easy handles (the shape of curl's
//       10-at-a-time example), same request (the same header lines as the Transport sends), same
//       duration: the ceiling for a libcurl client.
//   (c) wrk with C connections, same request (lua script), same duration, if `wrk` is installed.
//   (d) 10,000 in flight: a second fast_receiver answering after 1 s; 30,000 requests submitted at
//       once to a Transport with max_in_flight = per_host = 10,000; reports the completion time,
//       throughput (ideal: 10,000/s), peak in-flight and RSS (before, peak, per in-flight request).
//
//   transport_bench [--connections 64] [--seconds 5] [--receiver PATH] [--skip-10k]
#include <curl/curl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "delivery/request.h"
#include "delivery/transport.h"
#include "support/process.h"

namespace {

using herald::bench::Child;
using herald::bench::Clock;
using herald::bench::StartFastReceiver;
using namespace std::chrono_literals;
using herald::delivery::HttpRequest;
using herald::delivery::HttpResponse;
using herald::delivery::Transport;
using herald::delivery::TransportOptions;

constexpr uint64_t kMaxRequestsPerRun = 2'000'000;
constexpr int kMaxSeconds = 60;
constexpr int kInFlightTarget = 10'000;
constexpr int kInFlightRequests = 30'000;
constexpr auto kDrainDeadline = 120s;

const char kBody[] =
    R"({"event": "created", "timestamp": "2026-03-06T15:11:23.503186+00:00", "object_type": "dcim.site", "username": "admin", "request_id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "data": {"foo": 1, "id": 4, "name": "Site \u00e9", "latitude": 40.7128, "region": null, "tags": []}, "request": {"id": "17af32f0-852a-46ca-a7d4-33ecd0c13de6", "method": "POST", "path": "/api/dcim/sites/", "user": "admin"}, "snapshots": {"prechange": null, "postchange": {"name": "Site \u00e9", "status": "active"}}})";

// bench/fast_receiver at `path`, answering after `delay_ms`, for `seconds`; its port (0 when it
// did not start) in *port.
Child SpawnReceiver(const std::string& path, int delay_ms, int seconds, int* port) {
  Child c;
  *port = StartFastReceiver(&c, path, delay_ms, seconds);
  return c;
}

long RssKb() { return herald::testing::ProcessStatusKb(0, "VmRSS"); }

// Bytes the process's malloc arenas hand out at this moment (all arenas).
double HeapMiB() { return static_cast<double>(mallinfo2().uordblks) / (1024.0 * 1024.0); }

HttpRequest MakeRequest(const std::string& url) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "application/json"},
               {"X-Hook-Signature", herald::delivery::SignBody("secret", kBody)}};
  r.body = kBody;
  r.timeout = 30s;
  return r;
}

// CPU time (user + system, all threads) this process has used, in microseconds.
double CpuUs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Requests/s of one client run, with its errors and CPU time per request (all requests it made,
// the drain after the measured window included): the CPU figure is steadier than the rate on a
// busy machine.
struct RunFigures {
  double rate = 0;
  uint64_t errors = 0;
  double cpu_us_per_request = 0;
};

double RunHerald(const std::string& url, int connections, int seconds, uint64_t* errors,
                 uint64_t* total) {
  TransportOptions o;
  o.max_in_flight = static_cast<size_t>(connections);
  o.max_in_flight_per_host = static_cast<size_t>(connections);
  Transport t(o);
  const HttpRequest proto = MakeRequest(url);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t outstanding = 0, completed = 0, failed = 0;
  const uint64_t window = 4ull * static_cast<uint64_t>(connections);
  auto start = Clock::now();
  auto end = start + std::chrono::seconds(seconds);
  uint64_t submitted = 0;
  while (Clock::now() < end && submitted < kMaxRequestsPerRun) {
    // Refill in batches (wake the producer only when half the window has drained) so the
    // harness does not add a thread switch per request.
    uint64_t room;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, 10ms, [&] { return outstanding <= window / 2; });
      room = window - outstanding;
      outstanding += room;
    }
    for (uint64_t k = 0; k < room; ++k, ++submitted) {
      t.Submit(proto, [&, window](HttpResponse r) {
        std::lock_guard<std::mutex> lock(mu);
        --outstanding;
        if (r.status == 200) ++completed;
        else ++failed;
        if (outstanding == window / 2 || outstanding == 0) cv.notify_one();
      });
    }
  }
  uint64_t done_at_end;
  {
    std::lock_guard<std::mutex> lock(mu);
    done_at_end = completed;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, kDrainDeadline, [&] { return outstanding == 0; });
    *errors = failed;
    *total = completed + failed;
  }
  return static_cast<double>(done_at_end) / elapsed;
}

double RunCurlMulti(const std::string& url, int connections, int seconds, uint64_t* errors,
                    uint64_t* total_out) {
  CURLM* multi = curl_multi_init();
  // The same header lines as the Transport puts on the wire (SPEC §5.6), so both send the same
  // bytes.
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept-Encoding: identity");
  headers = curl_slist_append(headers, "User-Agent: herald/0.1");
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers =
      curl_slist_append(headers, ("Content-Length: " + std::to_string(sizeof kBody - 1)).c_str());
  headers = curl_slist_append(
      headers, ("X-Hook-Signature: " + herald::delivery::SignBody("secret", kBody)).c_str());
  headers = curl_slist_append(headers, "Accept:");
  headers = curl_slist_append(headers, "Expect:");
  auto sink = +[](char*, size_t s, size_t n, void*) -> size_t { return s * n; };
  std::vector<CURL*> handles;
  for (int i = 0; i < connections; ++i) {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, kBody);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(sizeof kBody - 1));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
    curl_multi_add_handle(multi, e);
    handles.push_back(e);
  }
  uint64_t completed = 0, failed = 0, total = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::seconds(seconds);
  int running = 1;
  bool refill = true;
  while (running > 0) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      CURL* e = m->easy_handle;
      long code = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
      if (m->data.result == CURLE_OK && code == 200 && Clock::now() < end) ++completed;
      else if (m->data.result != CURLE_OK) ++failed;
      ++total;
      curl_multi_remove_handle(multi, e);
      if (refill && Clock::now() < end && total < kMaxRequestsPerRun) {
        curl_multi_add_handle(multi, e);
        running++;
      }
    }
    if (Clock::now() >= end) refill = false;
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (CURL* e : handles) curl_easy_cleanup(e);
  curl_slist_free_all(headers);
  curl_multi_cleanup(multi);
  *errors = failed;
  *total_out = total;
  return static_cast<double>(completed) / std::min(elapsed, static_cast<double>(seconds));
}

// wrk with the same request as (a) and (b), one thread.
double RunWrk(const std::string& url, int connections, int seconds) {
  return herald::bench::RunWrk(
      url, connections, 1, seconds, kBody,
      {"Content-Type: application/json",
       "X-Hook-Signature: " + herald::delivery::SignBody("secret", kBody)});
}

void RunTenThousand(const std::string& receiver) {
  int slow_port = 0;
  Child slow = SpawnReceiver(receiver, 1000, kMaxSeconds * 3, &slow_port);
  if (slow_port == 0) {
    std::printf("10k in flight: could not start %s\n", receiver.c_str());
    return;
  }
  std::string url = "http://127.0.0.1:" + std::to_string(slow_port) + "/hook";
  long rss_before = RssKb();
  TransportOptions o;
  o.max_in_flight = kInFlightTarget;
  o.max_in_flight_per_host = kInFlightTarget;
  long peak_rss = rss_before;
  double heap_before = HeapMiB(), heap_at_peak = heap_before;
  size_t peak_in_flight = 0;
  std::atomic<int> ok{0}, failed{0};
  std::string first_error;
  std::mutex mu;
  double elapsed = 0;
  {
    Transport t(o);
    auto start = Clock::now();
    for (int i = 0; i < kInFlightRequests; ++i) {
      HttpRequest r = MakeRequest(url);
      r.timeout = 60s;
      t.Submit(std::move(r), [&](HttpResponse resp) {
        if (resp.status == 200) {
          ok++;
        } else {
          if (failed++ == 0) {
            std::lock_guard<std::mutex> lock(mu);
            first_error = resp.error;
          }
        }
      });
    }
    auto deadline = start + kDrainDeadline;
    auto next_report = start + 1s;
    std::string timeline;
    while (ok + failed < kInFlightRequests && Clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      long rss = RssKb();
      if (rss > peak_rss) {
        peak_rss = rss;
        heap_at_peak = HeapMiB();
      }
      peak_in_flight = std::max(peak_in_flight, t.in_flight());
      if (Clock::now() >= next_report) {
        timeline += " " + std::to_string(ok + failed) + "/" + std::to_string(t.in_flight());
        next_report += 1s;
      }
    }
    std::printf("  completed/in-flight at each second:%s\n", timeline.c_str());
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  slow.Stop();
  std::printf(
      "10k in flight (receiver answers after 1 s): %d requests, ok=%d failed=%d in %.2f s => "
      "%.0f req/s (ideal %d/s incl. ramp-up)\n",
      kInFlightRequests, ok.load(), failed.load(), elapsed, (ok + failed) / elapsed,
      kInFlightTarget);
  if (!first_error.empty()) std::printf("  first error: %s\n", first_error.c_str());
  std::printf(
      "  peak in flight %zu; RSS before %.1f MiB, peak %.1f MiB => %.1f KiB per in-flight "
      "request\n",
      peak_in_flight, rss_before / 1024.0, peak_rss / 1024.0,
      peak_in_flight
          ? static_cast<double>(peak_rss - rss_before) / static_cast<double>(peak_in_flight)
          : 0.0);
  std::printf("  malloc heap in use: before %.1f MiB, at the RSS peak %.1f MiB\n", heap_before,
              heap_at_peak);
}

}  // namespace

int main(int argc, char** argv) {
  int connections = 64, seconds = 5;
  bool skip_10k = false;
  std::string receiver =
      (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "fast_receiver").string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--connections" && i + 1 < argc)
      connections = std::max(1, std::min(std::atoi(argv[++i]), 5000));
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::max(1, std::min(std::atoi(argv[++i]), kMaxSeconds));
    else if (a == "--receiver" && i + 1 < argc) receiver = argv[++i];
    else if (a == "--skip-10k") skip_10k = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--connections N] [--seconds S] [--receiver PATH] [--skip-10k]\n",
                   argv[0]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int fast_port = 0;
  Child fast = SpawnReceiver(receiver, 0, seconds * 3 + 30, &fast_port);
  if (fast_port == 0) {
    std::fprintf(stderr, "cannot start fast_receiver at %s (use --receiver PATH)\n",
                 receiver.c_str());
    return 1;
  }
  std::string url = "http://127.0.0.1:" + std::to_string(fast_port) + "/hook";
  std::printf("workload: POST %zu-byte JSON + signature, %d connections, %d s each, target %s\n",
              sizeof kBody - 1, connections, seconds, url.c_str());
  auto measure = [&](auto run) {
    RunFigures f;
    uint64_t total = 0;
    double cpu_before = CpuUs();
    f.rate = run(url, connections, seconds, &f.errors, &total);
    f.cpu_us_per_request = total ? (CpuUs() - cpu_before) / static_cast<double>(total) : 0;
    return f;
  };
  RunFigures a = measure(RunHerald);
  std::printf("(a) herald Transport : %10.0f req/s (errors %llu), CPU %.1f us/request\n", a.rate,
              static_cast<unsigned long long>(a.errors), a.cpu_us_per_request);
  RunFigures b = measure(RunCurlMulti);
  std::printf("(b) plain curl multi : %10.0f req/s (errors %llu), CPU %.1f us/request\n", b.rate,
              static_cast<unsigned long long>(b.errors), b.cpu_us_per_request);
  double herald = a.rate, curl = b.rate;
  double wrk = RunWrk(url, connections, seconds);
  if (wrk >= 0) std::printf("(c) wrk              : %10.0f req/s\n", wrk);
  else std::printf("(c) wrk              : not installed\n");
  std::printf("ratios: herald/curl = %.2f (CPU per request: curl/herald = %.2f)",
              curl > 0 ? herald / curl : 0.0,
              a.cpu_us_per_request > 0 ? b.cpu_us_per_request / a.cpu_us_per_request : 0.0);
  if (wrk > 0) std::printf(", herald/wrk = %.2f, curl/wrk = %.2f", herald / wrk, curl / wrk);
  std::printf("\n");
  fast.Stop();
  if (!skip_10k) RunTenThousand(receiver);
  curl_global_cleanup();
  return 0;
}
