// Configuration: every option declared once (name, type, default, help). From the table come
// the TOML file reader, the HERALD_* environment overrides, validation at start, `--help`
// fragments and the commented example file (config/herald.example.toml).
//
// Precedence: built-in default < config file < environment < command-line flag.
// Option "server.listen" is `listen` under `[server]` in TOML and HERALD_SERVER_LISTEN in the
// environment.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace herald {

enum class OptionType { kString, kInt, kBool, kStringList };

struct OptionSpec {
  const char* name;  // "section.key"
  OptionType type;
  const char* default_value;  // as it would be written in TOML (lists: comma-separated)
  const char* help;
  int64_t min = 0;  // for ints
  int64_t max = INT64_MAX;
};

// All options, in documentation order.
const std::vector<OptionSpec>& AllOptions();

class Config {
 public:
  // Defaults only.
  Config();
  // Loads a TOML file (unknown keys are errors), then HERALD_* environment variables.
  // Errors: "ConfigError" naming the file, key and problem.
  Status LoadFile(const std::string& path);
  Status LoadEnvironment();
  // Sets one option from a string (flags). Validates type and range.
  Status Set(const std::string& name, const std::string& value, const std::string& origin);

  std::string GetString(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::vector<std::string> GetList(const std::string& name) const;

  // The commented example configuration (every option with its help and default).
  static std::string ExampleToml();

 private:
  std::map<std::string, std::string> values_;
};

// Environment variable name for an option: "server.listen" -> "HERALD_SERVER_LISTEN".
std::string EnvNameFor(const std::string& option);

}  // namespace herald
