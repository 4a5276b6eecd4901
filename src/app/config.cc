#include "app/config.h"

#include <toml++/toml.h>

#include "common/cidr.h"
#include "delivery/net_guard.h"

#include <cstdlib>
#include <sstream>


namespace herald {

const std::vector<OptionSpec>& AllOptions() {
  static const std::vector<OptionSpec> kOptions = {
      {"server.listen", OptionType::kString, "127.0.0.1:8080",
       "Address and port the API, UI and /metrics listen on (HOST:PORT; port 0 picks a free one)."},
      {"server.threads", OptionType::kInt, "2", "HTTP I/O threads.", 1, 64},
      {"server.max_body_bytes", OptionType::kInt, "10485760",
       "Largest accepted request body in bytes; larger requests get 413.", 1024, 1073741824},
      {"server.idle_timeout", OptionType::kInt, "60",
       "Seconds before an idle keep-alive connection is closed; a request body and a response "
       "must each be transferred within it too.", 1, 3600},
      {"server.header_timeout", OptionType::kInt, "10",
       "Seconds a client has to send a complete request header, from connecting (or from the "
       "first byte of a later request on a kept-alive connection); slower clients are "
       "disconnected.", 1, 3600},
      {"server.max_connections", OptionType::kInt, "1024",
       "Most client connections open at once; it is also held below the file-descriptor limit "
       "minus a reserve (max(64, limit/4)) for the store and deliveries. At the cap a new "
       "connection closes the one that has waited longest for a request header; when none is "
       "waiting it gets 503.", 1, 1000000},
      {"server.public_url", OptionType::kString, "",
       "The URL clients reach Herald at (e.g. https://herald.example.com); absolute URLs in API "
       "responses are built from it, and an https URL marks UI session cookies Secure. Empty: "
       "built from server.listen."},
      {"server.trusted_proxies", OptionType::kStringList, "",
       "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For header is believed "
       "(comma-separated); empty means the peer address is the client address."},
      {"ui.max_sessions_per_token", OptionType::kInt, "20",
       "UI sessions kept per API token; signing in once more ends that token's least recently "
       "used session (never another token's).", 1, 10000},
      {"ui.max_failed_sign_ins", OptionType::kInt, "10",
       "Failed UI sign-ins allowed per client address (IPv6: per /64) within "
       "ui.failed_sign_in_window; past that the address gets 429 until the window ends.", 1,
       1000000},
      {"ui.failed_sign_in_window", OptionType::kInt, "300",
       "Seconds of the failed sign-in window; it starts at an address's first failure.", 1,
       86400},
      {"ingest.threads", OptionType::kInt, "2",
       "Threads that parse, validate and match posted events (off the HTTP I/O threads).", 1,
       64},
      {"ingest.queue", OptionType::kInt, "64",
       "Most event requests waiting for an ingest thread; beyond it POST /api/events/ answers "
       "503 with Retry-After.", 1, 100000},
      {"ingest.queue_bytes", OptionType::kInt, "67108864",
       "Most request-body bytes waiting for an ingest thread; beyond it POST /api/events/ "
       "answers 503 with Retry-After (a request is always taken when none waits).", 1048576,
       17179869184},
      {"ingest.condition_budget_ms", OptionType::kInt, "50",
       "Milliseconds all the event rules one event reaches may spend on conditions; rules not "
       "evaluated in time do not match and are logged (the event is still accepted). 0: no "
       "bound.", 0, 60000},
      {"store.url", OptionType::kString, "sqlite://var/herald.db",
       "Where Herald keeps configuration, queue and task history: sqlite://relative/path.db or "
       "sqlite:///absolute/path.db."},
      {"log.level", OptionType::kString, "info", "Log level: debug, info, warning or error."},
      {"delivery.workers", OptionType::kBool, "true",
       "Run delivery workers inside `herald serve` (set false to run `herald worker` apart)."},
      {"delivery.default_timeout", OptionType::kInt, "60",
       "Default HTTP timeout in seconds for webhooks without their own timeout.", 1, 3600},
      {"delivery.max_in_flight", OptionType::kInt, "10000",
       "Most requests in flight at once, over all destinations.", 1, 1000000},
      {"delivery.max_in_flight_per_host", OptionType::kInt, "256",
       "Most requests in flight at once to one destination host.", 1, 100000},
      {"delivery.max_attempts", OptionType::kInt, "1",
       "Default attempts per task for webhooks without their own policy. 1 = no retry, as in "
       "NetBox (failed tasks are kept and can be requeued); e.g. 8 with exponential backoff "
       "retries for about a day.", 1, 100},
      {"delivery.retry_policy", OptionType::kString, "exponential",
       "Default retry policy: fixed (NetBox RQ_RETRY_INTERVAL) or exponential (with jitter)."},
      {"delivery.retry_interval", OptionType::kInt, "60",
       "Default retry interval in seconds (fixed) or base delay (exponential).", 0, 86400},
      {"delivery.lease_seconds", OptionType::kInt, "60",
       "Seconds a worker's lease outlives the webhook timeout; a task whose worker died is "
       "delivered again after its lease expires.", 1, 86400},
      {"delivery.max_lease_expiries", OptionType::kInt, "3",
       "A task whose lease expired this many times in a row without an attempt being recorded "
       "(its worker kept dying while delivering it) is failed with \"worker stopped while "
       "delivering (N times); see the logs\" and not leased again until requeued.", 1, 100},
      {"delivery.shutdown_grace_seconds", OptionType::kInt, "5",
       "On SIGTERM/SIGINT, seconds to wait for requests in flight before abandoning them; their "
       "tasks are handed back to the queue (not counted as expired leases).", 0, 3600},
      {"delivery.retention_days", OptionType::kInt, "7",
       "Days to keep finished tasks and their attempts (failed tasks are kept).", 0, 3650},
      {"delivery.http_proxy", OptionType::kString, "",
       "Proxy for http:// webhooks (NetBox HTTP_PROXIES['http']); empty for none."},
      {"delivery.https_proxy", OptionType::kString, "",
       "Proxy for https:// webhooks (NetBox HTTP_PROXIES['https']); empty for none."},
      {"delivery.deny_networks", OptionType::kStringList, delivery::kDefaultDenyNetworks,
       "Networks (CIDR, comma-separated) deliveries may never connect to, checked on the resolved "
       "address of every connection, redirects included. Setting it replaces the default "
       "(link-local and cloud metadata addresses); Herald's own listen address and port are "
       "always refused. Deny wins over allow_networks."},
      {"delivery.allow_networks", OptionType::kStringList, "",
       "When non-empty, deliveries may only connect to addresses in these networks (CIDR, "
       "comma-separated); deny_networks still applies. Empty allows every address not denied."},
      {"templates.env_patterns", OptionType::kStringList, "",
       "Glob patterns of environment variable names the `env` template filter may read "
       "(comma-separated); empty means none."},
      {"templates.max_output_bytes", OptionType::kInt, "1048576",
       "Largest rendered template output in bytes.", 1024, 1073741824},
      {"templates.max_steps", OptionType::kInt, "10000000",
       "Most evaluation steps per render (loops, calls, filters).", 1000, 10000000000},
      {"templates.deadline_ms", OptionType::kInt, "1000", "Longest time one render may take.", 1,
       600000},
      {"templates.max_alloc_bytes", OptionType::kInt, "268435456",
       "Most bytes of strings, lists and dicts one render may create in total.", 1048576,
       68719476736},
  };
  return kOptions;
}

namespace {

// The items of a comma-separated list value; empty items are dropped (kept untrimmed).
std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string::npos) j = v.size();
    std::string item = v.substr(i, j - i);
    if (!item.empty()) out.push_back(item);
    i = j + 1;
  }
  return out;
}

const OptionSpec* Find(const std::string& name) {
  for (const auto& o : AllOptions())
    if (name == o.name) return &o;
  return nullptr;
}

Status Bad(const std::string& origin, const std::string& name, const std::string& why) {
  return Status::Error("ConfigError", origin + ": " + name + ": " + why);
}

}  // namespace

std::string EnvNameFor(const std::string& option) {
  std::string env = "HERALD_";
  for (char c : option) env += c == '.' ? '_' : static_cast<char>(toupper(c));
  return env;
}

Config::Config() {
  for (const auto& o : AllOptions()) values_[o.name] = o.default_value;
}

Status Config::Set(const std::string& name, const std::string& value, const std::string& origin) {
  const OptionSpec* o = Find(name);
  if (!o) return Bad(origin, name, "unknown option");
  switch (o->type) {
    case OptionType::kInt: {
      int64_t n;
      try {
        size_t pos;
        n = std::stoll(value, &pos);
        if (pos != value.size()) throw std::invalid_argument("trailing");
      } catch (...) {
        return Bad(origin, name, "expected an integer, got '" + value + "'");
      }
      if (n < o->min || n > o->max)
        return Bad(origin, name, "must be between " + std::to_string(o->min) + " and " +
                                     std::to_string(o->max) + ", got " + value);
      break;
    }
    case OptionType::kBool:
      if (value != "true" && value != "false" && value != "1" && value != "0")
        return Bad(origin, name, "expected true or false, got '" + value + "'");
      break;
    default: break;
  }
  if (name == "log.level" && value != "debug" && value != "info" && value != "warning" &&
      value != "error")
    return Bad(origin, name, "expected debug, info, warning or error");
  if (name == "server.public_url" && !value.empty()) {
    bool http = value.rfind("http://", 0) == 0, https = value.rfind("https://", 0) == 0;
    size_t rest = http ? 7 : 8;
    if ((!http && !https) || value.size() <= rest || value[rest] == '/' ||
        value.find_first_of("?# \t\r\n") != std::string::npos)
      return Bad(origin, name,
                 "expected an http:// or https:// URL without query or fragment, got '" + value +
                     "'");
  }
  if (name == "delivery.retry_policy" && value != "fixed" && value != "exponential")
    return Bad(origin, name, "expected fixed or exponential");
  if (name == "server.trusted_proxies" || name == "delivery.deny_networks" ||
      name == "delivery.allow_networks") {
    auto nets = NetworkList::Parse(SplitList(value));
    if (!nets.ok()) return Bad(origin, name, nets.status().message());
  }
  values_[name] = value;
  return Status::Ok();
}

Status Config::LoadFile(const std::string& path) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << path << ":" << e.source().begin.line << ": " << e.description();
    return Status::Error("ConfigError", os.str());
  } catch (const std::exception& e) {
    return Status::Error("ConfigError", path + ": " + e.what());
  }
  for (const auto& [section, node] : tbl) {
    const toml::table* st = node.as_table();
    if (!st) return Bad(path, std::string(section.str()), "expected a [section] table");
    for (const auto& [key, val] : *st) {
      std::string name = std::string(section.str()) + "." + std::string(key.str());
      const OptionSpec* o = Find(name);
      if (!o) return Bad(path, name, "unknown option");
      std::string s;
      if (auto v = val.value<std::string>(); v && val.is_string()) s = *v;
      else if (val.is_integer()) s = std::to_string(*val.value<int64_t>());
      else if (val.is_boolean()) s = *val.value<bool>() ? "true" : "false";
      else if (const toml::array* arr = val.as_array()) {
        for (const auto& item : *arr) {
          auto str = item.value<std::string>();
          if (!str) return Bad(path, name, "expected a list of strings");
          if (!s.empty()) s += ",";
          s += *str;
        }
      } else {
        return Bad(path, name, "unsupported value type");
      }
      HERALD_RETURN_IF_ERROR(Set(name, s, path));
    }
  }
  return Status::Ok();
}

Status Config::LoadEnvironment() {
  for (const auto& o : AllOptions()) {
    std::string env = EnvNameFor(o.name);
    if (const char* v = std::getenv(env.c_str())) HERALD_RETURN_IF_ERROR(Set(o.name, v, env));
  }
  return Status::Ok();
}

std::string Config::GetString(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second;
}

int64_t Config::GetInt(const std::string& name) const {
  try {
    return std::stoll(GetString(name));
  } catch (...) {
    return 0;
  }
}

bool Config::GetBool(const std::string& name) const {
  std::string v = GetString(name);
  return v == "true" || v == "1";
}

std::vector<std::string> Config::GetList(const std::string& name) const {
  return SplitList(GetString(name));
}

std::string Config::ExampleToml() {
  std::string out =
      "# Herald configuration. Every option is shown with its default value.\n"
      "# Each can also be set by an environment variable, e.g. [server] listen -> "
      "HERALD_SERVER_LISTEN,\n"
      "# and the most common ones by flags (herald serve --help).\n"
      "# Precedence: default < this file < environment < flags.\n";
  std::string section;
  for (const auto& o : AllOptions()) {
    std::string name = o.name;
    std::string sec = name.substr(0, name.find('.'));
    std::string key = name.substr(name.find('.') + 1);
    if (sec != section) {
      out += "\n[" + sec + "]\n";
      section = sec;
    }
    out += "\n# " + std::string(o.help) + "\n# env: " + EnvNameFor(name) + "\n";
    std::string def = o.default_value;
    switch (o.type) {
      case OptionType::kString: out += key + " = \"" + def + "\"\n"; break;
      case OptionType::kStringList: {
        out += key + " = [";
        std::string item;
        bool first = true;
        for (size_t i = 0; i <= def.size(); ++i) {
          if (i == def.size() || def[i] == ',') {
            if (!item.empty()) {
              out += (first ? "\"" : ", \"") + item + "\"";
              first = false;
            }
            item.clear();
          } else {
            item += def[i];
          }
        }
        out += "]\n";
        break;
      }
      default: out += key + " = " + def + "\n";
    }
  }
  return out;
}

}  // namespace herald
