// Configuration: every option declared once, in the option table (app/options.h). From the table
// come the typed Settings struct the app reads (settings.delivery.retry_interval, never a string
// key), the TOML file reader, the HERALD_* environment overrides, validation at start, the
// defaults shown in `--help` and the commented example file (config/herald.example.toml).
//
// Precedence: built-in default < config file < environment < command-line flag.
// Option "server.listen" is `listen` under `[server]` in TOML, HERALD_SERVER_LISTEN in the
// environment and settings.server.listen in code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/options.h"
#include "common/status.h"

namespace herald {

enum class OptionType { kString, kInt, kBool, kStringList };

// A check of an option's value beyond its type.
enum class OptionCheck {
  kNone,
  kLogLevel,      // debug, info, warning or error
  kPublicUrl,     // empty, or an http:// or https:// URL without query or fragment
  kRetryPolicy,   // fixed or exponential
  kNetworks,      // a list of addresses or CIDR ranges
  kRecordBodies,  // failed or all
};

// The items of a comma-separated list value; empty items are dropped (items are not trimmed).
std::vector<std::string> SplitOptionList(const std::string& value);

// The typed value of every option, its field named as in TOML: settings.<section>.<key>.
// A default-constructed Settings holds the defaults of the option table.
// Types: STRING std::string, INT int64_t, BOOL bool, LIST std::vector<std::string>.
#define HERALD_SETTINGS_STRING(section, key, def, check, help) std::string key = def;
#define HERALD_SETTINGS_INT(section, key, def, min, max, help) int64_t key = def;
#define HERALD_SETTINGS_BOOL(section, key, def, help) bool key = def;
#define HERALD_SETTINGS_LIST(section, key, def, check, help) \
  std::vector<std::string> key = SplitOptionList(def);
#define HERALD_SETTINGS_SECTION(section)                                                        \
  struct section##_section {                                                                    \
    HERALD_OPTIONS_##section(HERALD_SETTINGS_STRING, HERALD_SETTINGS_INT, HERALD_SETTINGS_BOOL, \
                             HERALD_SETTINGS_LIST) bool                                         \
    operator==(const section##_section&) const = default;                                       \
  } section;
struct Settings {
  HERALD_CONFIG_SECTIONS(HERALD_SETTINGS_SECTION)
  bool operator==(const Settings&) const = default;
};
#undef HERALD_SETTINGS_SECTION
#undef HERALD_SETTINGS_LIST
#undef HERALD_SETTINGS_BOOL
#undef HERALD_SETTINGS_INT
#undef HERALD_SETTINGS_STRING

// Every option by name, for the loader's callers that name one (flags): Option::server_listen.
#define HERALD_OPTION_ID(section, key, ...) section##_##key,
#define HERALD_OPTION_IDS(section) \
  HERALD_OPTIONS_##section(HERALD_OPTION_ID, HERALD_OPTION_ID, HERALD_OPTION_ID, HERALD_OPTION_ID)
enum class Option { HERALD_CONFIG_SECTIONS(HERALD_OPTION_IDS) };
#undef HERALD_OPTION_IDS
#undef HERALD_OPTION_ID

struct OptionSpec {
  const char* name;  // "section.key"
  OptionType type;
  std::string default_value;  // as it would be written in TOML (lists: comma-separated)
  const char* help;
  int64_t min = 0;  // for ints
  int64_t max = INT64_MAX;
  OptionCheck check = OptionCheck::kNone;
  // The option's field in a Settings: std::string*, int64_t*, bool* or
  // std::vector<std::string>*, as `type` says.
  void* (*field)(Settings&) = nullptr;
};

// All options, in documentation order (the order of enum Option).
const std::vector<OptionSpec>& AllOptions();
const OptionSpec& SpecOf(Option option);

class Config {
 public:
  // Defaults only.
  Config() = default;
  // Loads a TOML file (unknown keys are errors), then HERALD_* environment variables.
  // Errors: kConfig naming the file, key and problem.
  Status LoadFile(const std::string& path);
  Status LoadEnvironment();
  // Sets one option from a string (flags). Validates type, range and value; on error the
  // option keeps its value. Errors: kConfig naming origin, option and problem.
  Status Set(const std::string& name, const std::string& value, const std::string& origin);
  Status Set(Option option, const std::string& value, const std::string& origin);

  // The effective value of every option.
  const Settings& settings() const { return settings_; }

  // The commented example configuration (every option with its help and default).
  static std::string ExampleToml();

 private:
  Settings settings_;
};

// Environment variable name for an option: "server.listen" -> "HERALD_SERVER_LISTEN".
std::string EnvNameFor(const std::string& option);

}  // namespace herald
