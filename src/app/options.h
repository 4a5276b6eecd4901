// The option table: every configuration option declared once (section, key, type, default,
// range or value check, help). It is an X-macro list: config.h expands it into the typed
// Settings struct (one field per option, so a misspelt option is a compile error) and config.cc
// into the loader's table (TOML keys, HERALD_* environment names, type, range and value checks)
// and the commented example file (config/herald.example.toml, `herald config example`).
//
// Adding an option: one entry in its section's list below; read it as settings.<section>.<key>.
// Adding a section: its list, and its name in HERALD_CONFIG_SECTIONS.
#pragma once

#include "delivery/net_guard.h"  // kDefaultDenyNetworks

// The sections, in documentation order (the order of the [tables] in the example file).
#define HERALD_CONFIG_SECTIONS(SECTION) \
  SECTION(server)                       \
  SECTION(ui) SECTION(ingest) SECTION(store) SECTION(log) SECTION(delivery) SECTION(templates)

// Each section's options, in documentation order. One entry per option, by type:
//   STRING(section, key, default, check, help)  default: a string literal
//   INT(section, key, default, min, max, help)   default: an integer literal; min..max inclusive
//   BOOL(section, key, default, help)            default: true or false
//   LIST(section, key, default, check, help)     default: a string of comma-separated items
// check names a value check beyond the type (OptionCheck in config.h): kNone, kLogLevel,
// kPublicUrl, kRetryPolicy, kRecordBodies or kNetworks (CIDR ranges or addresses). help is one
// sentence or more, printed above the option in the example file.

#define HERALD_OPTIONS_server(STRING, INT, BOOL, LIST)                                          \
  STRING(server, listen, "127.0.0.1:8080", kNone,                                               \
         "Address and port the API, UI and /metrics listen on (HOST:PORT; port 0 picks a free " \
         "one).")                                                                               \
  INT(server, threads, 2, 1, 64, "HTTP I/O threads.")                                           \
  INT(server, max_body_bytes, 10485760, 1024, 1073741824,                                       \
      "Largest accepted request body in bytes; larger requests get 413.")                       \
  INT(server, idle_timeout, 60, 1, 3600,                                                        \
      "Seconds before an idle keep-alive connection is closed; a request body and a response "  \
      "must each be transferred within it too.")                                                \
  INT(server, header_timeout, 10, 1, 3600,                                                      \
      "Seconds a client has to send a complete request header, from connecting (or from the "   \
      "first byte of a later request on a kept-alive connection); slower clients are "          \
      "disconnected.")                                                                          \
  INT(server, max_connections, 1024, 1, 1000000,                                                \
      "Most client connections open at once; it is also held below the file-descriptor limit "  \
      "minus a reserve (max(64, limit/4)) for the store and deliveries. At the cap a new "      \
      "connection closes the one that has waited longest for a request header; when none is "   \
      "waiting it gets 503.")                                                                   \
  STRING(server, public_url, "", kPublicUrl,                                                    \
         "The URL clients reach Herald at (e.g. https://herald.example.com); absolute URLs in " \
         "API responses are built from it, and an https URL marks UI session cookies Secure. "  \
         "Empty: built from server.listen.")                                                    \
  LIST(server, trusted_proxies, "", kNetworks,                                                  \
       "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For header is believed "  \
       "(comma-separated); empty means the peer address is the client address.")

#define HERALD_OPTIONS_ui(STRING, INT, BOOL, LIST)                                             \
  INT(ui, max_sessions_per_token, 20, 1, 10000,                                                \
      "UI sessions kept per API token; signing in once more ends that token's least recently " \
      "used session (never another token's).")                                                 \
  INT(ui, max_failed_sign_ins, 10, 1, 1000000,                                                 \
      "Failed UI sign-ins allowed per client address (IPv6: per /64) within "                  \
      "ui.failed_sign_in_window; past that the address gets 429 until the window ends.")       \
  INT(ui, failed_sign_in_window, 300, 1, 86400,                                                \
      "Seconds of the failed sign-in window; it starts at an address's first failure.")

#define HERALD_OPTIONS_ingest(STRING, INT, BOOL, LIST)                                         \
  INT(ingest, threads, 2, 1, 64,                                                               \
      "Threads that parse, validate and match posted events (off the HTTP I/O threads).")      \
  INT(ingest, queue, 64, 1, 100000,                                                            \
      "Most event requests waiting for an ingest thread; beyond it POST /api/events/ answers " \
      "503 with Retry-After.")                                                                 \
  INT(ingest, queue_bytes, 67108864, 1048576, 17179869184,                                     \
      "Most request-body bytes waiting for an ingest thread; beyond it POST /api/events/ "     \
      "answers 503 with Retry-After (a request is always taken when none waits).")             \
  INT(ingest, condition_budget_ms, 50, 0, 60000,                                               \
      "Milliseconds all the event rules one event reaches may spend on conditions; rules not " \
      "evaluated in time do not match and are logged (the event is still accepted). 0: no "    \
      "bound.")                                                                                \
  INT(ingest, dedupe_window, 86400, 0, 31536000,                                               \
      "Seconds an accepted event's idempotency key is remembered: a repeat within it is "      \
      "answered with the first ids and stores nothing. 0: no deduplication.")

#define HERALD_OPTIONS_store(STRING, INT, BOOL, LIST)                                           \
  STRING(store, url, "sqlite://var/herald.db", kNone,                                           \
         "Where Herald keeps configuration, queue and task history: sqlite://relative/path.db " \
         "or sqlite:///absolute/path.db, or postgresql://user@host:5432/database for a "        \
         "cluster (docs/postgres.md; keep the password in ~/.pgpass or PGPASSWORD, not here).") \
  INT(store, pool_size, 4, 1, 1000,                                                             \
      "PostgreSQL: database connections each Herald process keeps open (reads, leases and "     \
      "operator actions use one each while they run; group commit uses one).")

#define HERALD_OPTIONS_log(STRING, INT, BOOL, LIST) \
  STRING(log, level, "info", kLogLevel, "Log level: debug, info, warning or error.")

#define HERALD_OPTIONS_delivery(STRING, INT, BOOL, LIST)                                         \
  BOOL(delivery, workers, true,                                                                  \
       "Run delivery workers inside `herald serve` (set false to run `herald worker` apart).")   \
  INT(delivery, default_timeout, 60, 1, 3600,                                                    \
      "Default HTTP timeout in seconds for webhooks without their own timeout.")                 \
  INT(delivery, max_in_flight, 10000, 1, 1000000,                                                \
      "Most requests in flight at once, over all destinations.")                                 \
  INT(delivery, max_in_flight_per_host, 256, 1, 100000,                                          \
      "Most requests in flight at once to one destination host.")                                \
  INT(delivery, max_waiting, 10000, 1, 1000000,                                                  \
      "Most leased tasks a worker keeps waiting for a slot of their destination (beyond "        \
      "max_in_flight_per_host). They do not count against max_in_flight, so a slow receiver's "  \
      "backlog does not stop deliveries to others; leasing pauses when this many wait.")         \
  INT(delivery, max_attempts, 1, 1, 100,                                                         \
      "Default attempts per task for webhooks without their own policy. 1 = no retry, as in "    \
      "NetBox (failed tasks are kept and can be requeued); e.g. 8 with exponential backoff "     \
      "retries for about a day.")                                                                \
  STRING(delivery, retry_policy, "exponential", kRetryPolicy,                                    \
         "Default retry policy: fixed (NetBox RQ_RETRY_INTERVAL) or exponential (with jitter).") \
  INT(delivery, retry_interval, 60, 0, 86400,                                                    \
      "Default retry interval in seconds (fixed) or base delay (exponential).")                  \
  INT(delivery, lease_seconds, 60, 1, 86400,                                                     \
      "Seconds a worker's lease outlives the webhook timeout; a task whose worker died is "      \
      "delivered again after its lease expires.")                                                \
  INT(delivery, max_lease_expiries, 3, 1, 100,                                                   \
      "A task whose lease expired this many times in a row without an attempt being recorded "   \
      "(its worker kept dying while delivering it) is failed with \"worker stopped while "       \
      "delivering (N times); see the logs\" and not leased again until requeued.")               \
  INT(delivery, shutdown_grace_seconds, 5, 0, 3600,                                              \
      "On SIGTERM/SIGINT, seconds to wait for requests in flight before abandoning them; their " \
      "tasks are handed back to the queue (not counted as expired leases).")                     \
  STRING(delivery, record_bodies, "failed", kRecordBodies,                                       \
         "Which attempts keep a copy of the request body: failed (failed attempts only; a "      \
         "successful attempt keeps method, URL, headers, status, timing and the response "       \
         "excerpt) or all.")                                                                     \
  INT(delivery, retention_days, 7, 0, 3650,                                                      \
      "Days to keep finished tasks and their attempts (failed tasks are kept).")                 \
  STRING(delivery, http_proxy, "", kNone,                                                        \
         "Proxy for http:// webhooks (NetBox HTTP_PROXIES['http']); empty for none.")            \
  STRING(delivery, https_proxy, "", kNone,                                                       \
         "Proxy for https:// webhooks (NetBox HTTP_PROXIES['https']); empty for none.")          \
  LIST(delivery, deny_networks, ::herald::delivery::kDefaultDenyNetworks, kNetworks,             \
       "Networks (CIDR, comma-separated) deliveries may never connect to, checked on the "       \
       "resolved address of every connection, redirects included. Setting it replaces the "      \
       "default (link-local and cloud metadata addresses); Herald's own listen address and "     \
       "port are always refused. Deny wins over allow_networks.")                                \
  LIST(delivery, allow_networks, "", kNetworks,                                                  \
       "When non-empty, deliveries may only connect to addresses in these networks (CIDR, "      \
       "comma-separated); deny_networks still applies. Empty allows every address not denied.")

#define HERALD_OPTIONS_templates(STRING, INT, BOOL, LIST)                                \
  LIST(templates, env_patterns, "", kNone,                                               \
       "Glob patterns of environment variable names the `env` template filter may read " \
       "(comma-separated); empty means none.")                                           \
  INT(templates, max_output_bytes, 1048576, 1024, 1073741824,                            \
      "Largest rendered template output in bytes.")                                      \
  INT(templates, max_steps, 10000000, 1000, 10000000000,                                 \
      "Most evaluation steps per render (loops, calls, filters).")                       \
  INT(templates, deadline_ms, 1000, 1, 600000, "Longest time one render may take.")      \
  INT(templates, max_alloc_bytes, 268435456, 1048576, 68719476736,                       \
      "Most bytes of strings, lists and dicts one render may create in total.")
