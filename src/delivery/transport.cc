#include "delivery/transport.h"

#include <curl/curl.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "delivery/epoll_set.h"
#include "delivery/request.h"

namespace herald::delivery {
namespace {

// How long one epoll_wait may sleep when nothing happens (it returns early on socket activity,
// curl timers and wakeups; this only bounds a missed wakeup).
constexpr int kPollTimeoutMs = 1000;
// Socket events taken per epoll_wait.
constexpr int kMaxEvents = 256;
// The epoll data of the wakeup eventfd; sockets carry shard index + 1 in the upper half.
constexpr uint64_t kWakeTag = 0;

// Makes epoll_wait return (eventfd counter > 0). Any thread.
void WakeFd(int fd) {
  uint64_t one = 1;
  ssize_t n = ::write(fd, &one, sizeof one);
  (void)n;  // EAGAIN: the counter is already non-zero, the loop wakes anyway
}

int64_t SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool NameIs(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               std::string_view name) {
  for (const auto& h : headers)
    if (NameIs(h.first, name)) return true;
  return false;
}

void RemoveHeader(std::vector<std::pair<std::string, std::string>>& headers,
                  std::string_view name) {
  for (auto it = headers.begin(); it != headers.end();) {
    if (NameIs(it->first, name)) it = headers.erase(it);
    else ++it;
  }
}

std::string FormatSeconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

struct UrlParts {
  std::string scheme, host, port;
  std::string key() const { return scheme + "://" + host + ":" + port; }
};

// Splits a URL into scheme/host/port. NormalizeUrl output ("scheme://[user@]host[:port]/...")
// takes a fast path; anything else goes through libcurl's own parser.
bool ParseUrl(const std::string& url, UrlParts* out) {
  size_t sep = url.find("://");
  if (sep != std::string::npos) {
    std::string_view scheme(url.data(), sep);
    size_t auth_begin = sep + 3;
    size_t auth_end = url.find_first_of("/?#", auth_begin);
    if (auth_end == std::string::npos) auth_end = url.size();
    std::string_view auth(url.data() + auth_begin, auth_end - auth_begin);
    bool simple = (scheme == "http" || scheme == "https") && !auth.empty() &&
                  auth.find_first_of("@[%") == std::string_view::npos;
    for (char c : auth)
      if ((c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80) simple = false;
    if (simple) {
      size_t colon = auth.find(':');
      std::string_view host = auth.substr(0, colon);
      std::string_view port =
          colon == std::string_view::npos ? std::string_view() : auth.substr(colon + 1);
      bool port_ok = port.size() <= 5;
      for (char c : port)
        if (c < '0' || c > '9') port_ok = false;
      if (!host.empty() && port_ok) {
        out->scheme.assign(scheme);
        out->host.assign(host);
        if (port.empty()) out->port = scheme == "https" ? "443" : "80";
        else out->port.assign(port);
        return true;
      }
    }
  }
  CURLU* u = curl_url();
  if (!u) return false;
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  ok = ok && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
       curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
       curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
  if (ok) {
    out->scheme = scheme;
    out->host = host;
    for (char& c : out->host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out->port = port;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return ok;
}

struct Host;
struct Shard;

// An easy handle and the shape of the options its last transfer set: kFreshHandle (none, just
// created), kCaFileHandle (a CA file: always reset), or 1 + method/body bits.
struct Handle {
  CURL* easy = nullptr;
  uint8_t shape = 0;
};
constexpr uint8_t kFreshHandle = 0;
constexpr uint8_t kCaFileHandle = 255;

// One submitted request, across all its hops.
struct Job {
  HttpRequest req;  // the current hop's method/url/headers/body
  std::function<void(HttpResponse)> done;
  std::string original_url;
  UrlParts dest;
  Host* host = nullptr;
  int redirects = 0;
  int64_t start_us = 0;         // steady clock, first hop start; 0 until started
  bool body_dropped = false;    // a 301/302/303 removed the body
  bool target_checked = false;  // proxied hop: the target host passed the guard

  // Set for every hop: the guard, whether it judges the sockets libcurl opens (not when they go
  // to a proxy), and the first refusal it gave (reported instead of curl's connect error).
  const NetGuard* guard = nullptr;
  bool check_sockets = false;
  std::string blocked;

  // Per hop.
  CURL* easy = nullptr;
  uint8_t easy_shape = 0;  // the options the hop set on `easy` (see TakeHandle)
  Shard* shard = nullptr;
  size_t active_at = 0;  // index in Impl::active
  // The header lines, NUL-separated in one buffer, and the curl_slist nodes pointing into it
  // (libcurl only reads the list): two allocations per job instead of two per line.
  std::string header_text;
  std::vector<size_t> header_offsets;
  std::vector<curl_slist> header_nodes;
  std::string excerpt;
  std::string retry_after;
  size_t excerpt_limit = 0;
  char errbuf[CURL_ERROR_SIZE];
};

struct Host {
  std::string key;
  std::deque<std::unique_ptr<Job>> queue;
  size_t active = 0;
  bool in_ready = false;
  size_t first_shard = 0;            // the destination's shards: first_shard, +1, ... (mod K)
  std::vector<size_t> shard_active;  // transfers running per shard, in that order
};

// One curl multi handle and its timer. Its sockets are watched by the transport's epoll set.
struct Shard {
  CURLM* multi = nullptr;
  size_t index = 0;
  EpollSet* epoll = nullptr;
  int64_t deadline_us = -1;  // when curl wants CURL_SOCKET_TIMEOUT (steady clock); -1 = never
  size_t running = 0;        // easy handles added and not removed
};

// CURLMOPT_SOCKETFUNCTION: keeps the epoll set in step with what curl waits for on each socket.
int OnSocket(CURL*, curl_socket_t fd, int what, void* user, void*) {
  Shard* s = static_cast<Shard*>(user);
  if (what == CURL_POLL_REMOVE) {
    s->epoll->Park(fd);
    return 0;
  }
  uint32_t events =
      ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  s->epoll->Watch(fd, (static_cast<uint64_t>(s->index + 1) << 32) | static_cast<uint32_t>(fd),
                  events);
  return 0;
}

// CURLMOPT_TIMERFUNCTION: -1 removes the timer, 0 means as soon as possible.
int OnTimer(CURLM*, long timeout_ms, void* user) {
  Shard* s = static_cast<Shard*>(user);
  s->deadline_us = timeout_ms < 0 ? -1 : SteadyUs() + static_cast<int64_t>(timeout_ms) * 1000;
  return 0;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  Job* job = static_cast<Job*>(user);
  size_t n = size * nmemb;
  if (job->excerpt.size() < job->excerpt_limit)
    job->excerpt.append(data, std::min(n, job->excerpt_limit - job->excerpt.size()));
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  Job* job = static_cast<Job*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    job->retry_after.clear();  // a new (possibly interim) response starts
    job->excerpt.clear();
  } else if (line.size() > 12 && NameIs(line.substr(0, 12), "retry-after:")) {
    std::string_view v = line.substr(12);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() &&
           (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t'))
      v.remove_suffix(1);
    job->retry_after.assign(v);
  }
  return n;
}

// libcurl's open-socket hook: the resolved address of every connection passes the guard before
// the socket exists. Refusing returns CURL_SOCKET_BAD, which aborts this connection attempt.
curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  Job* job = static_cast<Job*>(user);
  if (job->guard && job->check_sockets) {
    std::string err = job->guard->CheckSockaddr(&address->addr, address->addrlen);
    if (!err.empty()) {
      if (job->blocked.empty()) job->blocked = std::move(err);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// Checks proxied targets off the transfer loop: lookups in, verdicts out. Shared with its
// threads (which are detached: a thread stuck in DNS never delays shutdown), so it outlives the
// transport if need be; `wake_fd` is only written while `alive`.
struct TargetChecks {
  struct Lookup {
    uint64_t id;
    std::string host;
    uint16_t port;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Lookup> pending;
  std::deque<std::pair<uint64_t, std::string>> verdicts;  // id, refusal ("" = allowed)
  bool alive = true;
  size_t threads = 0;
  int wake_fd = -1;
  std::shared_ptr<const NetGuard> guard;

  static void Run(std::shared_ptr<TargetChecks> self) {
    pthread_setname_np(pthread_self(), "herald-resolve");
    std::unique_lock<std::mutex> lock(self->mu);
    while (true) {
      self->cv.wait(lock, [&] { return !self->alive || !self->pending.empty(); });
      if (!self->alive) return;
      Lookup l = std::move(self->pending.front());
      self->pending.pop_front();
      lock.unlock();
      std::string verdict = self->guard->CheckHost(l.host, l.port);
      lock.lock();
      if (!self->alive) return;
      self->verdicts.emplace_back(l.id, std::move(verdict));
      WakeFd(self->wake_fd);
    }
  }
};

}  // namespace

struct Transport::Impl {
  explicit Impl(TransportOptions o) : options(std::move(o)) {
    static std::once_flag init_once;
    std::call_once(init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) std::abort();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (epoll_ctl(epoll.fd(), EPOLL_CTL_ADD, wake_fd, &ev) != 0) std::abort();
    shards.resize(std::max<size_t>(1, options.multi_handles));
    for (size_t i = 0; i < shards.size(); ++i) {
      Shard& sh = shards[i];
      sh.index = i;
      sh.epoll = &epoll;
      sh.multi = curl_multi_init();
      if (!sh.multi) std::abort();
      curl_multi_setopt(sh.multi, CURLMOPT_SOCKETFUNCTION, &OnSocket);
      curl_multi_setopt(sh.multi, CURLMOPT_SOCKETDATA, &sh);
      curl_multi_setopt(sh.multi, CURLMOPT_TIMERFUNCTION, &OnTimer);
      curl_multi_setopt(sh.multi, CURLMOPT_TIMERDATA, &sh);
    }
    thread = std::thread([this] { Loop(); });
  }

  ~Impl() {
    Stop();
    if (thread.joinable()) thread.join();
    for (Handle& h : pool) curl_easy_cleanup(h.easy);
    for (Shard& sh : shards) curl_multi_cleanup(sh.multi);
    ::close(wake_fd);
  }

  void Submit(HttpRequest req, std::function<void(HttpResponse)> done) {
    auto job = std::make_unique<Job>();
    job->req = std::move(req);
    job->done = std::move(done);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!stopping) {
        // Only the first job of a batch needs to wake the loop: it takes the whole batch.
        bool wake = incoming.empty();
        incoming.push_back(std::move(job));
        queued_count.fetch_add(1, std::memory_order_relaxed);
        if (wake) WakeFd(wake_fd);
        return;
      }
    }
    HttpResponse r;
    r.tag = job->req.tag;
    r.error = kTransportStopped;
    r.final_url = job->req.url;
    if (job->done) job->done(std::move(r));
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) return;
      stopping = true;
    }
    WakeFd(wake_fd);
    if (std::this_thread::get_id() != thread.get_id() && thread.joinable()) thread.join();
  }

  // ---- transport thread only below ----

  void Loop() {
    pthread_setname_np(pthread_self(), "herald-send");
    std::deque<std::unique_ptr<Job>> batch;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping) break;
        batch.swap(incoming);
      }
      while (!batch.empty()) {
        std::unique_ptr<Job> job = std::move(batch.front());
        batch.pop_front();
        Enqueue(std::move(job), /*front=*/false);
      }
      TakeVerdicts();
      StartReady();
      RunTimers();
      ReapFinished();
      StartReady();
      WaitForEvents();
      ReapFinished();
    }
    Shutdown();
  }

  // Runs curl's expired timers (a freshly added handle asks for one at once).
  void RunTimers() {
    int64_t now = SteadyUs();
    for (Shard& sh : shards) {
      if (sh.deadline_us < 0 || sh.deadline_us > now) continue;
      sh.deadline_us = -1;  // the call may set a new one
      int running = 0;
      curl_multi_socket_action(sh.multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
  }

  // Sleeps until a socket is ready, a timer is due or a wakeup, and hands socket events to
  // their shard.
  void WaitForEvents() {
    int64_t now = SteadyUs();
    int64_t wait_us = static_cast<int64_t>(kPollTimeoutMs) * 1000;
    for (const Shard& sh : shards)
      if (sh.deadline_us >= 0)
        wait_us = std::min(wait_us, std::max<int64_t>(0, sh.deadline_us - now));
    int timeout_ms = static_cast<int>((wait_us + 999) / 1000);
    epoll_event events[kMaxEvents];
    int n = epoll_wait(epoll.fd(), events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t count;
        ssize_t got = ::read(wake_fd, &count, sizeof count);
        (void)got;
        continue;
      }
      Shard& sh = shards[(tag >> 32) - 1];
      auto fd = static_cast<curl_socket_t>(tag & 0xffffffffu);
      if (!epoll.Wanted(fd, tag)) continue;
      uint32_t e = events[i].events;
      int mask = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                 ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
      int running = 0;
      curl_multi_socket_action(sh.multi, fd, mask, &running);
    }
    RunTimers();
  }

  // Routes a job to its destination queue, or completes it at once when the URL is unusable.
  void Enqueue(std::unique_ptr<Job> job, bool front) {
    if (job->original_url.empty()) job->original_url = job->req.url;
    if (!ParseUrl(job->req.url, &job->dest) ||
        (job->dest.scheme != "http" && job->dest.scheme != "https")) {
      queued_count.fetch_sub(1, std::memory_order_relaxed);
      Complete(std::move(job), 0, "Invalid URL '" + job->req.url + "'");
      return;
    }
    if (options.guard && !job->req.proxy.empty() && !job->target_checked) {
      CheckTarget(std::move(job));
      return;
    }
    Host& h = hosts[job->dest.key()];
    if (h.key.empty()) {
      h.key = job->dest.key();
      h.first_shard = std::hash<std::string>()(h.key) % shards.size();
      h.shard_active.assign(shards.size(), 0);
    }
    job->host = &h;
    if (front) h.queue.push_front(std::move(job));
    else h.queue.push_back(std::move(job));
    MarkReady(h);
  }

  // Proxied hop: hands the target host to a resolver thread; Enqueue resumes with the verdict.
  void CheckTarget(std::unique_ptr<Job> job) {
    if (!checks) {
      checks = std::make_shared<TargetChecks>();
      checks->wake_fd = wake_fd;
      checks->guard = options.guard;
    }
    uint64_t id = next_lookup++;
    uint16_t port = static_cast<uint16_t>(std::atoi(job->dest.port.c_str()));
    std::string host = job->dest.host;
    checking.emplace(id, std::move(job));
    std::lock_guard<std::mutex> lock(checks->mu);
    checks->pending.push_back({id, std::move(host), port});
    if (checks->threads < std::max<size_t>(1, options.resolver_threads)) {
      ++checks->threads;
      std::thread(&TargetChecks::Run, checks).detach();
    }
    checks->cv.notify_one();
  }

  void TakeVerdicts() {
    if (!checks) return;
    std::deque<std::pair<uint64_t, std::string>> got;
    {
      std::lock_guard<std::mutex> lock(checks->mu);
      got.swap(checks->verdicts);
    }
    for (auto& [id, verdict] : got) {
      auto it = checking.find(id);
      if (it == checking.end()) continue;
      std::unique_ptr<Job> job = std::move(it->second);
      checking.erase(it);
      if (!verdict.empty()) {
        queued_count.fetch_sub(1, std::memory_order_relaxed);
        Complete(std::move(job), 0, verdict);
      } else {
        job->target_checked = true;
        Enqueue(std::move(job), /*front=*/true);
      }
    }
  }

  void MarkReady(Host& h) {
    if (!h.in_ready && !h.queue.empty() && h.active < options.max_in_flight_per_host) {
      h.in_ready = true;
      ready.push_back(&h);
    }
  }

  void MaybeDropHost(Host* h) {
    if (h->active == 0 && h->queue.empty() && !h->in_ready) hosts.erase(h->key);
  }

  // Starts queued jobs round-robin across destinations while the caps allow.
  void StartReady() {
    while (active_total < options.max_in_flight && !ready.empty()) {
      Host* h = ready.front();
      ready.pop_front();
      h->in_ready = false;
      if (h->queue.empty() || h->active >= options.max_in_flight_per_host) {
        MaybeDropHost(h);
        continue;
      }
      std::unique_ptr<Job> job = std::move(h->queue.front());
      h->queue.pop_front();
      queued_count.fetch_sub(1, std::memory_order_relaxed);
      MarkReady(*h);
      StartHop(std::move(job));
    }
  }

  // A pooled easy handle keeps the options of its last transfer. One whose last transfer had the
  // same shape (method and body options, no CA file) is reused without curl_easy_reset: only the
  // options that change per request are set again.
  Handle TakeHandle() {
    if (!pool.empty()) {
      Handle h = pool.back();
      pool.pop_back();
      return h;
    }
    return Handle{curl_easy_init(), kFreshHandle};
  }

  void ReturnHandle(Handle h) {
    if (pool.size() < options.max_pooled_handles) pool.push_back(h);
    else curl_easy_cleanup(h.easy);
  }

  // Options every transfer sets the same way (after curl_easy_init or curl_easy_reset).
  void SetFixedOptions(CURL* e) const {
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &CloseSocket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, &epoll);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, static_cast<long>(options.receive_buffer));
  }

  void StartHop(std::unique_ptr<Job> job) {
    Job* j = job.get();
    if (j->start_us == 0) j->start_us = SteadyUs();
    int64_t elapsed_ms = (SteadyUs() - j->start_us) / 1000;
    int64_t remaining_ms = j->req.timeout.count() - elapsed_ms;
    if (remaining_ms <= 0) {
      Host* h = j->host;
      Complete(std::move(job), 0, TimeoutMessage(*j));
      MaybeDropHost(h);
      return;
    }
    Handle handle = TakeHandle();
    CURL* e = handle.easy;
    if (!e) {
      Host* h = j->host;
      Complete(std::move(job), 0, "Error forming HTTP request: out of memory");
      MaybeDropHost(h);
      return;
    }
    j->easy = e;
    j->excerpt.clear();
    j->retry_after.clear();
    j->excerpt_limit = options.max_response_excerpt;
    j->errbuf[0] = '\0';
    j->guard = options.guard.get();
    j->check_sockets = j->req.proxy.empty();
    j->blocked.clear();

    // Method and body.
    const std::string& m = j->req.method;
    bool is_head = m == "HEAD";
    bool is_get = m == "GET" || m.empty();
    bool send_body = !is_head && (!j->req.body.empty() || !is_get);
    if (j->body_dropped) {
      // After 301/302/303 requests sends no body; urllib3 then adds Content-Length: 0 only for
      // methods that expect a body.
      send_body = m == "POST" || m == "PUT" || m == "PATCH";
    }
    bool custom = !is_get || send_body;
    uint8_t shape =
        j->req.ca_file.empty()
            ? static_cast<uint8_t>(1 + (is_head ? 1 : 0) + (send_body ? 2 : 0) + (custom ? 4 : 0))
            : kCaFileHandle;
    if (handle.shape != shape || shape == kCaFileHandle) {
      if (handle.shape != kFreshHandle) curl_easy_reset(e);
      SetFixedOptions(e);
      if (is_head) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
      else if (!send_body) curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    j->easy_shape = shape;

    curl_easy_setopt(e, CURLOPT_URL, j->req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining_ms));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining_ms));
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
    // "" disables proxies, including the environment's http_proxy/https_proxy/all_proxy.
    curl_easy_setopt(e, CURLOPT_PROXY, j->req.proxy.c_str());
    if (!j->req.ca_file.empty()) {
      // requests: a CA path replaces `verify`, so verification is on with that store only.
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
      struct stat st;
      if (stat(j->req.ca_file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
        curl_easy_setopt(e, CURLOPT_CAPATH, j->req.ca_file.c_str());
      } else {
        curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
        curl_easy_setopt(e, CURLOPT_CAINFO, j->req.ca_file.c_str());
      }
    } else {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, j->req.verify_tls ? 1L : 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, j->req.verify_tls ? 2L : 0L);
    }
    if (send_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(j->req.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->req.body.data());
    }
    if (custom) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());

    SetHeaders(*j, send_body);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->header_nodes.data());

    size_t slot = PickShard(*j->host);
    Shard& sh = shards[(j->host->first_shard + slot) % shards.size()];
    j->shard = &sh;
    j->host->active++;
    j->host->shard_active[slot]++;
    active_total++;
    in_flight_count.store(active_total, std::memory_order_relaxed);
    Job* raw = job.release();
    raw->active_at = active.size();
    active.push_back(raw);
    sh.running++;
    if (curl_multi_add_handle(sh.multi, e) != CURLM_OK) {
      sh.running--;
      FinishHop(raw);
      Host* h = raw->host;
      Complete(std::unique_ptr<Job>(raw), 0,
               "Error forming HTTP request: curl_multi_add_handle failed");
      MaybeDropHost(h);
    }
  }

  // The position (in the destination's shard order) for its next transfer: the first shard
  // running fewer than its share of the per-host cap, so a busy destination spreads over several
  // multi handles while its connections stay within the cap.
  size_t PickShard(const Host& h) const {
    size_t k = shards.size();
    size_t share = std::max<size_t>(1, (options.max_in_flight_per_host + k - 1) / k);
    size_t best = 0;
    for (size_t i = 0; i < k; ++i) {
      if (h.shard_active[i] < share) return i;
      if (h.shard_active[i] < h.shard_active[best]) best = i;
    }
    return best;
  }

  // Headers in wire order: Accept-Encoding, User-Agent, the caller's, Content-Length before a
  // trailing signature. "Accept:"/"Expect:" suppress curl's own. Fills the job's header list.
  void SetHeaders(Job& j, bool send_body) const {
    std::string& text = j.header_text;
    std::vector<size_t>& offsets = j.header_offsets;
    const auto& hs = j.req.headers;
    size_t bytes = 128 + options.user_agent.size();  // the fixed lines
    for (const auto& h : hs) bytes += h.first.size() + h.second.size() + 3;
    text.clear();
    text.reserve(bytes);
    offsets.clear();
    offsets.reserve(hs.size() + 8);
    auto add = [&](std::string_view name, std::string_view sep, std::string_view value) {
      offsets.push_back(text.size());
      text.append(name).append(sep).append(value).push_back('\0');
    };
    if (!HasHeader(hs, "Accept-Encoding")) add("Accept-Encoding", ": ", "identity");
    if (!HasHeader(hs, "User-Agent")) add("User-Agent", ": ", options.user_agent);
    bool need_length = send_body && !HasHeader(hs, "Content-Length");
    const std::string length = std::to_string(j.req.body.size());
    size_t sig_at = hs.size();
    if (!hs.empty() && NameIs(hs.back().first, kSignatureHeader)) sig_at = hs.size() - 1;
    for (size_t i = 0; i < hs.size(); ++i) {
      if (i == sig_at && need_length) {
        add("Content-Length", ": ", length);
        need_length = false;
      }
      // curl: "Name:" removes a header, "Name;" sends it with an empty value.
      if (hs[i].second.empty()) add(hs[i].first, ";", "");
      else add(hs[i].first, ": ", hs[i].second);
    }
    if (need_length) add("Content-Length", ": ", length);
    if (send_body && !HasHeader(hs, "Content-Type")) add("Content-Type:", "", "");
    if (!HasHeader(hs, "Accept")) add("Accept:", "", "");
    if (!HasHeader(hs, "Expect")) add("Expect:", "", "");
    // The text no longer grows: the nodes can point into it.
    j.header_nodes.resize(offsets.size());
    for (size_t i = 0; i < offsets.size(); ++i) {
      j.header_nodes[i].data = text.data() + offsets[i];
      j.header_nodes[i].next = i + 1 < offsets.size() ? &j.header_nodes[i + 1] : nullptr;
    }
  }

  // Releases the hop's curl resources and the destination slot.
  void FinishHop(Job* j) {
    if (j->easy) {
      ReturnHandle(Handle{j->easy, j->easy_shape});
      j->easy = nullptr;
    }
    Job* last = active.back();
    last->active_at = j->active_at;
    active[j->active_at] = last;
    active.pop_back();
    size_t k = shards.size();
    j->host->shard_active[(j->shard->index + k - j->host->first_shard) % k]--;
    j->host->active--;
    active_total--;
    in_flight_count.store(active_total, std::memory_order_relaxed);
    MarkReady(*j->host);
  }

  std::string TimeoutMessage(const Job& j) const {
    return "Request to " + j.original_url + " timed out after " + FormatSeconds(j.req.timeout) +
           " seconds";
  }

  std::string ErrorMessage(const Job& j, CURLcode code, long os_errno) const {
    // The guard refused an address: that is the reason, not curl's "couldn't connect".
    if (!j.blocked.empty()) return j.blocked;
    std::string detail = j.errbuf[0] ? j.errbuf : curl_easy_strerror(code);
    std::string where = j.dest.host + ":" + j.dest.port;
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT: return TimeoutMessage(j);
      case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED) return "Connection refused to " + where + " (" + detail + ")";
        return "Failed to connect to " + where + ": " +
               (os_errno ? std::strerror(static_cast<int>(os_errno)) : "error") + " (" + detail +
               ")";
      case CURLE_COULDNT_RESOLVE_HOST:
        return "Failed to resolve host '" + j.dest.host + "' (" + detail + ")";
      case CURLE_COULDNT_RESOLVE_PROXY:
        return "Failed to resolve proxy '" + j.req.proxy + "' (" + detail + ")";
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_ISSUER_ERROR:
      case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      case CURLE_SSL_INVALIDCERTSTATUS:
      case CURLE_SSL_ENGINE_INITFAILED:
      case CURLE_SSL_CRL_BADFILE: return "TLS error connecting to " + where + ": " + detail;
      case CURLE_GOT_NOTHING:
        return "Connection to " + where + " closed without a response (" + detail + ")";
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
        return "Connection to " + where + " failed while transferring (" + detail + ")";
      default:
        return "Request to " + j.req.url + " failed: " + curl_easy_strerror(code) + " (" + detail +
               ")";
    }
  }

  void ReapFinished() {
    for (Shard& sh : shards)
      if (sh.running > 0) ReapFinished(sh);
  }

  void ReapFinished(Shard& sh) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(sh.multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      CURLcode code = msg->data.result;
      Job* j = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, reinterpret_cast<char**>(&j));
      curl_multi_remove_handle(sh.multi, e);
      sh.running--;
      std::unique_ptr<Job> job(j);
      long status = 0, os_errno = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
      char* location = nullptr;
      std::string next_url;
      if (code == CURLE_OK && curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
          location)
        next_url = location;
      Host* h = j->host;
      FinishHop(j);
      if (code != CURLE_OK) {
        std::string err = ErrorMessage(*j, code, os_errno);
        Complete(std::move(job), 0, err);
      } else if ((status == 301 || status == 302 || status == 303 || status == 307 ||
                  status == 308) &&
                 !next_url.empty()) {
        Redirect(std::move(job), static_cast<int>(status), next_url);
      } else {
        Complete(std::move(job), static_cast<int>(status), "");
      }
      MaybeDropHost(h);
    }
  }

  // requests' resolve_redirects/rebuild_method/rebuild_auth for one hop.
  void Redirect(std::unique_ptr<Job> job, int status, const std::string& location) {
    Job* j = job.get();
    if (j->redirects >= options.max_redirects) {
      Complete(std::move(job), 0,
               "Exceeded " + std::to_string(options.max_redirects) + " redirects.");
      return;
    }
    Result<std::string> next = NormalizeUrl(location);
    if (!next.ok()) {
      Complete(std::move(job), 0, "Redirect to an invalid URL: " + next.status().message());
      return;
    }
    std::string& m = j->req.method;
    if ((status == 303 || status == 302) && m != "HEAD") m = "GET";
    if (status == 301 && m == "POST") m = "GET";
    if (status != 307 && status != 308) {
      RemoveHeader(j->req.headers, "Content-Length");
      RemoveHeader(j->req.headers, "Content-Type");
      RemoveHeader(j->req.headers, "Transfer-Encoding");
      j->req.body.clear();
      j->body_dropped = true;
    }
    UrlParts old = j->dest, dest;
    if (ParseUrl(*next, &dest) && old.host != dest.host) {
      // requests drops Authorization when the host changes (except http->https on default ports).
      bool upgrade =
          old.scheme == "http" && old.port == "80" && dest.scheme == "https" && dest.port == "443";
      if (!upgrade) RemoveHeader(j->req.headers, "Authorization");
    } else if (old.host == dest.host && old.port != dest.port &&
               !((old.port == "80" && dest.port == "443") ||
                 (old.port == "443" && dest.port == "80"))) {
      RemoveHeader(j->req.headers, "Authorization");
    }
    j->req.url = std::move(*next);
    j->redirects++;
    j->target_checked = false;
    queued_count.fetch_add(1, std::memory_order_relaxed);
    Enqueue(std::move(job), /*front=*/true);
  }

  void Complete(std::unique_ptr<Job> job, int status, std::string error) {
    HttpResponse r;
    r.tag = job->req.tag;
    r.status = error.empty() ? status : 0;
    r.error = std::move(error);
    if (r.error.empty()) {
      r.body_excerpt = std::move(job->excerpt);
      r.retry_after = std::move(job->retry_after);
    }
    r.final_url = job->req.url;
    r.duration_us = job->start_us ? SteadyUs() - job->start_us : 0;
    r.redirects = job->redirects;
    if (job->done) job->done(std::move(r));
  }

  void Shutdown() {
    while (!active.empty()) {
      Job* j = active.back();
      curl_multi_remove_handle(j->shard->multi, j->easy);
      j->shard->running--;
      FinishHop(j);
      Complete(std::unique_ptr<Job>(j), 0, kTransportStopped);
    }
    ready.clear();
    for (auto& [key, h] : hosts) {
      while (!h.queue.empty()) {
        std::unique_ptr<Job> job = std::move(h.queue.front());
        h.queue.pop_front();
        Complete(std::move(job), 0, kTransportStopped);
      }
    }
    hosts.clear();
    if (checks) {
      std::lock_guard<std::mutex> lock(checks->mu);
      checks->alive = false;
      checks->pending.clear();
      checks->cv.notify_all();
    }
    for (auto& [id, job] : checking) Complete(std::move(job), 0, kTransportStopped);
    checking.clear();
    std::deque<std::unique_ptr<Job>> rest;
    {
      std::lock_guard<std::mutex> lock(mu);
      rest.swap(incoming);
    }
    for (auto& job : rest) Complete(std::move(job), 0, kTransportStopped);
    queued_count.store(0);
    in_flight_count.store(0);
  }

  TransportOptions options;
  EpollSet epoll;    // outlives the multi handles: their connections close through it
  int wake_fd = -1;  // eventfd: Submit, Stop and the resolver threads wake the loop with it
  std::vector<Shard> shards;
  std::thread thread;

  std::mutex mu;  // guards incoming, stopping
  std::deque<std::unique_ptr<Job>> incoming;
  bool stopping = false;

  std::atomic<size_t> queued_count{0};
  std::atomic<size_t> in_flight_count{0};

  // Transport thread only.
  std::unordered_map<std::string, Host> hosts;
  std::deque<Host*> ready;
  std::vector<Job*> active;  // running transfers (Job::active_at is the index)
  std::vector<Handle> pool;
  size_t active_total = 0;
  std::shared_ptr<TargetChecks> checks;  // created on the first proxied hop with a guard
  std::unordered_map<uint64_t, std::unique_ptr<Job>> checking;  // proxied hops being checked
  uint64_t next_lookup = 1;
};

std::string DestinationKey(const std::string& url) {
  UrlParts parts;
  return ParseUrl(url, &parts) ? parts.key() : std::string();
}

Transport::Transport(TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Transport::~Transport() = default;

void Transport::Submit(HttpRequest request, std::function<void(HttpResponse)> done) {
  impl_->Submit(std::move(request), std::move(done));
}

size_t Transport::in_flight() const {
  return impl_->in_flight_count.load(std::memory_order_relaxed);
}
size_t Transport::queued() const { return impl_->queued_count.load(std::memory_order_relaxed); }

void Transport::Stop() { impl_->Stop(); }

}  // namespace herald::delivery
