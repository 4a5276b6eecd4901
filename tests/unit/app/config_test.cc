// The configuration: the option table's defaults in the typed Settings, TOML files, HERALD_*
// environment variables and flags in their precedence, the type, range and value checks with
// their messages, and the library option structs whose defaults must agree with the table.
#include "app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "api/api.h"
#include "delivery/dispatcher.h"
#include "delivery/transport.h"
#include "http/http.h"
#include "jinja/jinja.h"
#include "store/postgres/pg_store.h"
#include "support/cases.h"
#include "support/env.h"
#include "support/files.h"
#include "support/temp_dir.h"
#include "web/web.h"

namespace herald {
namespace {

using ::testing::HasSubstr;

using testing::ScopedEnv;
using testing::StringTriple;

// A TOML file in a fresh temporary directory, removed with the fixture.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  std::string Write(const std::string& text) {
    std::string path = dir_.File("herald.toml");
    EXPECT_TRUE(testing::WriteFile(path, text));
    return path;
  }

  // Loads each {toml, message} into a fresh Config; expects a ConfigError naming the file and
  // the message.
  void ExpectLoadErrors(std::initializer_list<std::pair<const char*, const char*>> cases) {
    for (const auto& [toml, message] : cases) {
      Config c;
      std::string path = Write(toml);
      Status st = c.LoadFile(path);
      EXPECT_FALSE(st.ok()) << toml;
      EXPECT_EQ(st.code(), Code::kConfig) << toml;
      EXPECT_THAT(st.message(), HasSubstr(path)) << toml;
      EXPECT_THAT(st.message(), HasSubstr(message)) << toml;
    }
  }

  testing::TempDir dir_{"config"};
};

TEST(Config, DefaultsAreTheOptionTablesTyped) {
  Config c;
  const Settings& s = c.settings();
  EXPECT_EQ(s, Settings{});
  EXPECT_EQ(s.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(s.server.threads, 2);
  EXPECT_EQ(s.server.max_body_bytes, 10485760);
  EXPECT_EQ(s.server.public_url, "");
  EXPECT_TRUE(s.server.trusted_proxies.empty());
  EXPECT_EQ(s.ingest.queue_bytes, 67108864);
  EXPECT_EQ(s.store.url, "sqlite://var/herald.db");
  EXPECT_EQ(s.log.level, "info");
  EXPECT_TRUE(s.delivery.workers);
  EXPECT_EQ(s.delivery.max_attempts, 1);
  EXPECT_EQ(s.delivery.retry_policy, "exponential");
  EXPECT_EQ(s.delivery.retry_interval, 60);
  EXPECT_EQ(s.delivery.record_bodies, "failed");
  EXPECT_EQ(s.delivery.deny_networks,
            (std::vector<std::string>{"169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"}));
  EXPECT_EQ(s.templates.max_steps, 10000000);
}

TEST(Config, EveryDefaultPassesItsOwnChecks) {
  Config c;
  for (const auto& o : AllOptions()) {
    EXPECT_TRUE(c.Set(o.name, o.default_value, "table").ok()) << o.name;
  }
  EXPECT_EQ(c.settings(), Settings{}) << "each default's text reads back as the typed default";
}

TEST(Config, TableNamesFieldsAndIdsAgree) {
  std::set<std::string> names;
  std::set<void*> fields;
  Settings s;
  for (const auto& o : AllOptions()) {
    EXPECT_TRUE(names.insert(o.name).second) << "duplicate " << o.name;
    EXPECT_TRUE(fields.insert(o.field(s)).second) << "shared field " << o.name;
    EXPECT_NE(std::string(o.help), "") << o.name;
    EXPECT_LE(o.min, o.max) << o.name;
  }
  EXPECT_STREQ(SpecOf(Option::server_listen).name, "server.listen");
  EXPECT_STREQ(SpecOf(Option::store_url).name, "store.url");
  EXPECT_STREQ(SpecOf(Option::templates_deadline_ms).name, "templates.deadline_ms");
  EXPECT_EQ(SpecOf(Option::delivery_retry_interval).field(s), &s.delivery.retry_interval);
  EXPECT_EQ(&SpecOf(Option::templates_max_alloc_bytes),
            &AllOptions().back());  // ids in table order
}

TEST(Config, EnvironmentNames) {
  EXPECT_EQ(EnvNameFor("server.listen"), "HERALD_SERVER_LISTEN");
  EXPECT_EQ(EnvNameFor("delivery.max_in_flight_per_host"),
            "HERALD_DELIVERY_MAX_IN_FLIGHT_PER_HOST");
}

TEST(Config, SetParsesEachType) {
  Config c;
  ASSERT_TRUE(c.Set("server.threads", "8", "flag").ok());
  EXPECT_EQ(c.settings().server.threads, 8);
  ASSERT_TRUE(c.Set("delivery.workers", "false", "flag").ok());
  EXPECT_FALSE(c.settings().delivery.workers);
  ASSERT_TRUE(c.Set("delivery.workers", "1", "flag").ok());
  EXPECT_TRUE(c.settings().delivery.workers);
  ASSERT_TRUE(c.Set("delivery.workers", "0", "flag").ok());
  EXPECT_FALSE(c.settings().delivery.workers);
  ASSERT_TRUE(c.Set("templates.env_patterns", "HERALD_*,,NETBOX_*", "flag").ok());
  EXPECT_EQ(c.settings().templates.env_patterns,
            (std::vector<std::string>{"HERALD_*", "NETBOX_*"}));
  ASSERT_TRUE(c.Set(Option::server_listen, "0.0.0.0:9000", "flag").ok());
  EXPECT_EQ(c.settings().server.listen, "0.0.0.0:9000");
  ASSERT_TRUE(c.Set("server.public_url", "https://herald.example.com", "flag").ok());
  EXPECT_EQ(c.settings().server.public_url, "https://herald.example.com");
  ASSERT_TRUE(c.Set("delivery.deny_networks", "", "flag").ok());
  EXPECT_TRUE(c.settings().delivery.deny_networks.empty());
}

TEST(Config, TypeRangeAndValueErrorsNameOriginAndOptionAndKeepTheValue) {
  Config c;
  // option, value, a part of the message
  const StringTriple cases[] = {
      {"server.threads", "two", "flag: server.threads: expected an integer, got 'two'"},
      {"server.threads", "4x", "flag: server.threads: expected an integer, got '4x'"},
      {"server.threads", "0", "flag: server.threads: must be between 1 and 64, got 0"},
      {"server.threads", "65", "flag: server.threads: must be between 1 and 64, got 65"},
      {"delivery.workers", "yes", "flag: delivery.workers: expected true or false, got 'yes'"},
      {"log.level", "verbose", "flag: log.level: expected debug, info, warning or error"},
      {"delivery.retry_policy", "linear",
       "flag: delivery.retry_policy: expected fixed or "
       "exponential"},
      {"delivery.record_bodies", "none", "flag: delivery.record_bodies: expected failed or all"},
      {"server.public_url", "ftp://x",
       "flag: server.public_url: expected an http:// or https:// "
       "URL without query or fragment, got 'ftp://x'"},
      {"server.public_url", "https://x/?a=1", "got 'https://x/?a=1'"},
      {"server.public_url", "https:///path", "got 'https:///path'"},
      {"server.trusted_proxies", "10.0.0.0/33", "flag: server.trusted_proxies: "},
      {"delivery.deny_networks", "nonsense", "flag: delivery.deny_networks: "},
      {"server.nope", "1", "flag: server.nope: unknown option"},
  };
  for (auto [name, value, message] : cases) {
    Status st = c.Set(name, value, "flag");
    ASSERT_FALSE(st.ok()) << name << "=" << value;
    EXPECT_EQ(st.code(), Code::kConfig);
    EXPECT_THAT(st.message(), HasSubstr(message));
  }
  EXPECT_EQ(c.settings(), Settings{}) << "a rejected value changes nothing";
  // The bounds themselves are allowed.
  EXPECT_TRUE(c.Set("server.threads", "1", "flag").ok());
  EXPECT_TRUE(c.Set("server.threads", "64", "flag").ok());
  EXPECT_TRUE(c.Set("ingest.condition_budget_ms", "0", "flag").ok());
  EXPECT_TRUE(c.Set("templates.max_steps", "10000000000", "flag").ok());
  EXPECT_EQ(c.settings().templates.max_steps, 10000000000);
}

TEST_F(ConfigFile, TomlSetsTypedValues) {
  Config c;
  Status st = c.LoadFile(Write(R"(
[server]
listen = "0.0.0.0:9090"
threads = 4
trusted_proxies = ["10.0.0.0/8", "192.0.2.1"]

[delivery]
workers = false
max_attempts = 8
retry_policy = "fixed"
deny_networks = []

[log]
level = "debug"
)"));
  ASSERT_TRUE(st.ok()) << st.message();
  const Settings& s = c.settings();
  EXPECT_EQ(s.server.listen, "0.0.0.0:9090");
  EXPECT_EQ(s.server.threads, 4);
  EXPECT_EQ(s.server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"}));
  EXPECT_FALSE(s.delivery.workers);
  EXPECT_EQ(s.delivery.max_attempts, 8);
  EXPECT_EQ(s.delivery.retry_policy, "fixed");
  EXPECT_TRUE(s.delivery.deny_networks.empty());
  EXPECT_EQ(s.log.level, "debug");
  EXPECT_EQ(s.delivery.retry_interval, 60) << "options the file leaves out keep their default";
}

TEST_F(ConfigFile, TomlErrorsNameFileKeyAndProblem) {
  ExpectLoadErrors({
      {"[server]\nlisten_on = \"x\"\n", "server.listen_on: unknown option"},
      {"[nosuch]\nkey = 1\n", "nosuch.key: unknown option"},
      {"threads = 2\n", "threads: expected a [section] table"},
      {"[server]\nthreads = 0\n", "server.threads: must be between 1 and 64, got 0"},
      {"[server]\nthreads = \"two\"\n", "server.threads: expected an integer, got 'two'"},
      {"[server]\nthreads = 2.5\n", "server.threads: unsupported value type"},
      {"[server]\ntrusted_proxies = [1, 2]\n",
       "server.trusted_proxies: expected a list of strings"},
      {"[log]\nlevel = \"loud\"\n", "log.level: expected debug, info, warning or error"},
      {"[server]\nthreads = \n", ":2: "},  // a TOML syntax error names the line
  });
  Config c;
  Status missing = c.LoadFile(dir_.File("absent.toml"));
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), Code::kConfig);
}

TEST_F(ConfigFile, PrecedenceDefaultFileEnvironmentFlag) {
  std::string path = Write("[server]\nthreads = 4\nmax_connections = 100\n[ingest]\nthreads = 3\n");
  ScopedEnv threads("HERALD_SERVER_THREADS", "8");
  ScopedEnv queue("HERALD_INGEST_QUEUE", "99");
  Config c;
  ASSERT_TRUE(c.LoadFile(path).ok());
  ASSERT_TRUE(c.LoadEnvironment().ok());
  EXPECT_EQ(c.settings().server.threads, 8) << "environment over file";
  EXPECT_EQ(c.settings().server.max_connections, 100) << "file over default";
  EXPECT_EQ(c.settings().ingest.threads, 3);
  EXPECT_EQ(c.settings().ingest.queue, 99) << "environment over default";
  ASSERT_TRUE(c.Set("server.threads", "16", "command line").ok());
  EXPECT_EQ(c.settings().server.threads, 16) << "flag over environment";
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  ScopedEnv env("HERALD_DELIVERY_RETRY_INTERVAL", "soon");
  Config c;
  Status st = c.LoadEnvironment();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "HERALD_DELIVERY_RETRY_INTERVAL: delivery.retry_interval: expected an integer, got "
            "'soon'");
}

TEST_F(ConfigFile, ExampleDocumentsEveryOptionAndLoadsBackAsTheDefaults) {
  std::string example = Config::ExampleToml();
  for (const auto& o : AllOptions()) {
    EXPECT_THAT(example, HasSubstr("# env: " + EnvNameFor(o.name) + "\n")) << o.name;
  }
  EXPECT_THAT(example, HasSubstr("\n[delivery]\n"));
  EXPECT_THAT(
      example,
      HasSubstr("deny_networks = [\"169.254.0.0/16\", \"fe80::/10\", \"fd00:ec2::254/128\"]\n"));
  Config c;
  Status st = c.LoadFile(Write(example));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(c.settings(), Settings{});
}

TEST(Config, SplitOptionListDropsEmptyItemsAndKeepsSpaces) {
  EXPECT_TRUE(SplitOptionList("").empty());
  EXPECT_TRUE(SplitOptionList(",,").empty());
  EXPECT_EQ(SplitOptionList("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(SplitOptionList("a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitOptionList(" a , b"), (std::vector<std::string>{" a ", " b"}));
}

TEST(Config, EnvironmentNamesAreDistinctAndShellSafe) {
  std::set<std::string> envs;
  for (const auto& o : AllOptions()) {
    std::string env = EnvNameFor(o.name);
    EXPECT_TRUE(envs.insert(env).second) << "two options share " << env;
    EXPECT_EQ(env.rfind("HERALD_", 0), 0u) << env;
    for (char c : env)
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << env;
  }
}

// Every option of the table, by type: its bounds or values are checked by Set, whatever its
// origin, and a rejected value leaves the option as it was.
TEST(Config, EveryOptionChecksItsType) {
  for (const auto& o : AllOptions()) {
    Config c;
    const Settings before = c.settings();
    switch (o.type) {
      case OptionType::kInt: {
        EXPECT_TRUE(c.Set(o.name, std::to_string(o.min), "t").ok()) << o.name;
        EXPECT_TRUE(c.Set(o.name, std::to_string(o.max), "t").ok()) << o.name;
        Status low = c.Set(o.name, std::to_string(o.min - 1), "t");
        EXPECT_THAT(low.message(), HasSubstr("must be between " + std::to_string(o.min) + " and " +
                                             std::to_string(o.max)))
            << o.name;
        if (o.max < INT64_MAX) {
          Status high = c.Set(o.name, std::to_string(o.max + 1), "t");
          EXPECT_THAT(high.message(), HasSubstr("must be between")) << o.name;
        }
        for (const char* bad : {"", "x", "1.5", "1e3", "0x10", "4 ", "9223372036854775808"}) {
          Status st = c.Set(o.name, bad, "t");
          EXPECT_EQ(st.message(),
                    std::string("t: ") + o.name + ": expected an integer, got '" + bad + "'")
              << o.name;
        }
        // Restore the default before comparing.
        ASSERT_TRUE(c.Set(o.name, o.default_value, "t").ok()) << o.name;
        break;
      }
      case OptionType::kBool:
        for (const char* bad : {"", "yes", "no", "on", "2", "truee"}) {
          Status st = c.Set(o.name, bad, "t");
          EXPECT_EQ(st.message(),
                    std::string("t: ") + o.name + ": expected true or false, got '" + bad + "'")
              << o.name;
        }
        break;
      case OptionType::kString:
      case OptionType::kStringList:
        if (o.check == OptionCheck::kNone) {
          // Free text: anything goes, and reads back as set.
          ASSERT_TRUE(c.Set(o.name, "some,text", "t").ok()) << o.name;
          ASSERT_TRUE(c.Set(o.name, o.default_value, "t").ok()) << o.name;
        } else {
          Status st = c.Set(o.name, "not valid here", "t");
          EXPECT_FALSE(st.ok()) << o.name;
          EXPECT_EQ(st.code(), Code::kConfig) << o.name;
          EXPECT_THAT(st.message(), HasSubstr(std::string("t: ") + o.name + ": ")) << o.name;
        }
        break;
    }
    EXPECT_EQ(c.settings(), before) << o.name;
  }
}

TEST(Config, ValueChecks) {
  Config c;
  for (const char* level : {"debug", "info", "warning", "error"})
    EXPECT_TRUE(c.Set("log.level", level, "flag").ok()) << level;
  for (const char* level : {"", "DEBUG", "warn", "trace"})
    EXPECT_FALSE(c.Set("log.level", level, "flag").ok()) << level;
  for (const char* url : {"", "http://h", "https://herald.example.com", "http://10.0.0.1:8080",
                          "https://example.com/herald", "http://[::1]:8080/"})
    EXPECT_TRUE(c.Set("server.public_url", url, "flag").ok()) << url;
  for (const char* url : {"herald.example.com", "http://", "https://", "//h", "http://h#f",
                          "https://h/a b", "https://h/\n"})
    EXPECT_FALSE(c.Set("server.public_url", url, "flag").ok()) << url;
  EXPECT_TRUE(c.Set("delivery.allow_networks", "10.0.0.0/8,192.0.2.1,::1,fe80::/10", "f").ok());
  EXPECT_EQ(c.settings().delivery.allow_networks,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1", "::1", "fe80::/10"}));
  for (const char* bad : {"10.0.0.0/8,nonsense", "300.1.1.1", "10.0.0.0/", "::1/129"})
    EXPECT_FALSE(c.Set("delivery.allow_networks", bad, "f").ok()) << bad;
  EXPECT_EQ(c.settings().delivery.allow_networks,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1", "::1", "fe80::/10"}));
}

TEST(Config, EnvironmentSetsEveryType) {
  ScopedEnv workers("HERALD_DELIVERY_WORKERS", "false");
  ScopedEnv proxies("HERALD_SERVER_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1");
  ScopedEnv level("HERALD_LOG_LEVEL", "warning");
  ScopedEnv steps("HERALD_TEMPLATES_MAX_STEPS", "5000");
  ScopedEnv deny("HERALD_DELIVERY_DENY_NETWORKS", "");
  Config c;
  Status st = c.LoadEnvironment();
  ASSERT_TRUE(st.ok()) << st.message();
  const Settings& s = c.settings();
  EXPECT_FALSE(s.delivery.workers);
  EXPECT_EQ(s.server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"}));
  EXPECT_EQ(s.log.level, "warning");
  EXPECT_EQ(s.templates.max_steps, 5000);
  EXPECT_TRUE(s.delivery.deny_networks.empty()) << "set but empty replaces the default";
  EXPECT_EQ(s.server.threads, Settings{}.server.threads) << "unset variables change nothing";
}

TEST(Config, LowerCaseOrPartialEnvironmentNamesAreNotOptions) {
  ScopedEnv lower("herald_server_threads", "9");
  ScopedEnv partial("HERALD_THREADS", "9");
  Config c;
  ASSERT_TRUE(c.LoadEnvironment().ok());
  EXPECT_EQ(c.settings().server.threads, Settings{}.server.threads);
}

TEST_F(ConfigFile, ARejectedFlagKeepsTheEnvironmentsValue) {
  std::string path = Write("[log]\nlevel = \"debug\"\n");
  ScopedEnv level("HERALD_LOG_LEVEL", "warning");
  Config c;
  ASSERT_TRUE(c.LoadFile(path).ok());
  ASSERT_TRUE(c.LoadEnvironment().ok());
  Status st = c.Set("log.level", "loud", "command line");
  EXPECT_EQ(st.message(), "command line: log.level: expected debug, info, warning or error");
  EXPECT_EQ(c.settings().log.level, "warning");
  // A flag may also set an option back to its default.
  ASSERT_TRUE(c.Set(Option::log_level, "info", "command line").ok());
  EXPECT_EQ(c.settings().log.level, "info");
}

TEST_F(ConfigFile, EmptyAndCommentOnlyFilesKeepTheDefaults) {
  for (const char* text : {"", "# nothing here\n\n", "[server]\n[delivery]\n"}) {
    Config c;
    Status st = c.LoadFile(Write(text));
    ASSERT_TRUE(st.ok()) << text << ": " << st.message();
    EXPECT_EQ(c.settings(), Settings{}) << text;
  }
}

TEST_F(ConfigFile, TomlValuesMustHaveTheOptionsShape) {
  ExpectLoadErrors({
      // A list is only for list options.
      {"[server]\nthreads = [\"4\"]\n", "server.threads: expected a single value, not a list"},
      {"[server]\nlisten = [\"0.0.0.0:80\", \"[::]:80\"]\n",
       "server.listen: expected a single value, not a list"},
      {"[delivery]\nworkers = [true]\n", "delivery.workers: expected a single value, not a list"},
      {"[server]\ntrusted_proxies = [[\"10.0.0.0/8\"]]\n",
       "server.trusted_proxies: expected a list of strings"},
      {"[server]\nthreads = 1970-01-01\n", "server.threads: unsupported value type"},
      {"[server.extra]\nx = 1\n", "server.extra: unknown option"},
      {"[server]\nthreads = 2\nthreads = 3\n", ":3: "},  // a repeated key is a syntax error
      {"[delivery]\nworkers = \"maybe\"\n", "delivery.workers: expected true or false"},
  });
  // A string list option also takes one comma-separated string, as in the environment.
  Config c;
  ASSERT_TRUE(c.LoadFile(Write("[server]\ntrusted_proxies = \"10.0.0.0/8,192.0.2.1\"\n")).ok());
  EXPECT_EQ(c.settings().server.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"}));
}

// The library option structs app fills from the settings keep defaults equal to the table's, so
// that a library used without herald's configuration (tests, tools) behaves as herald does.
TEST(Config, LibraryDefaultsAgreeWithTheOptionTable) {
  const Settings s;
  http::ServerOptions server;
  EXPECT_EQ(server.threads, s.server.threads);
  EXPECT_EQ(static_cast<int64_t>(server.max_body_bytes), s.server.max_body_bytes);
  EXPECT_EQ(server.idle_timeout_seconds, s.server.idle_timeout);
  EXPECT_EQ(server.header_timeout_seconds, s.server.header_timeout);
  EXPECT_EQ(server.max_connections, s.server.max_connections);

  ApiOptions api;
  EXPECT_EQ(api.ingest_threads, s.ingest.threads);
  EXPECT_EQ(static_cast<int64_t>(api.ingest_queue), s.ingest.queue);
  EXPECT_EQ(static_cast<int64_t>(api.ingest_queue_bytes), s.ingest.queue_bytes);
  EXPECT_EQ(api.condition_budget.count(), s.ingest.condition_budget_ms);
  EXPECT_EQ(api.public_url, s.server.public_url);

  web::WebOptions web;
  EXPECT_EQ(web.default_timeout_seconds, s.delivery.default_timeout);
  EXPECT_EQ(static_cast<int64_t>(web.max_sessions_per_token), s.ui.max_sessions_per_token);
  EXPECT_EQ(web.max_failed_sign_ins, s.ui.max_failed_sign_ins);
  EXPECT_EQ(web.failed_sign_in_window.count(), s.ui.failed_sign_in_window);
  EXPECT_EQ(web.http_proxy, s.delivery.http_proxy);
  EXPECT_EQ(web.https_proxy, s.delivery.https_proxy);
  EXPECT_EQ(web.trusted_proxies, s.server.trusted_proxies);

  StoreOpenOptions store;
  EXPECT_EQ(store.pool_size, s.store.pool_size);
  EXPECT_EQ(PgStoreOptions().pool_size, s.store.pool_size);

  delivery::DispatcherOptions dispatcher;
  EXPECT_EQ(dispatcher.default_timeout_seconds, s.delivery.default_timeout);
  EXPECT_EQ(dispatcher.default_retry.max_attempts, s.delivery.max_attempts);
  EXPECT_EQ(dispatcher.default_retry.kind, s.delivery.retry_policy == "fixed"
                                               ? delivery::RetryKind::kFixed
                                               : delivery::RetryKind::kExponential);
  EXPECT_EQ(dispatcher.default_retry.interval_seconds, s.delivery.retry_interval);
  EXPECT_EQ(dispatcher.record_all_bodies, s.delivery.record_bodies == "all");
  EXPECT_EQ(static_cast<int64_t>(dispatcher.max_in_flight), s.delivery.max_in_flight);
  EXPECT_EQ(dispatcher.lease_slack_seconds, s.delivery.lease_seconds);
  EXPECT_EQ(dispatcher.max_lease_expiries, s.delivery.max_lease_expiries);

  delivery::TransportOptions transport;
  EXPECT_EQ(static_cast<int64_t>(transport.max_in_flight), s.delivery.max_in_flight);
  EXPECT_EQ(static_cast<int64_t>(transport.max_in_flight_per_host),
            s.delivery.max_in_flight_per_host);

  jinja::Limits limits;
  EXPECT_EQ(static_cast<int64_t>(limits.max_output_bytes), s.templates.max_output_bytes);
  EXPECT_EQ(static_cast<int64_t>(limits.max_steps), s.templates.max_steps);
  EXPECT_EQ(limits.deadline.count(), s.templates.deadline_ms);
  EXPECT_TRUE(jinja::Options{}.env_filter_patterns.empty());
  EXPECT_TRUE(s.templates.env_patterns.empty());
}

}  // namespace
}  // namespace herald
