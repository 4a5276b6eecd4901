#include "app/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <sstream>

#include "common/cidr.h"
#include "common/strings.h"

namespace herald {

// The loader's table, expanded from the option table (app/options.h).
#define HERALD_SPEC_FIELD(section, key) [](Settings& s) -> void* { return &s.section.key; }
#define HERALD_SPEC_STRING(section, key, def, check, help) \
  {#section "." #key,                                      \
   OptionType::kString,                                    \
   def,                                                    \
   help,                                                   \
   0,                                                      \
   INT64_MAX,                                              \
   OptionCheck::check,                                     \
   HERALD_SPEC_FIELD(section, key)},
#define HERALD_SPEC_INT(section, key, def, min, max, help) \
  {#section "." #key,                                      \
   OptionType::kInt,                                       \
   std::to_string(def),                                    \
   help,                                                   \
   min,                                                    \
   max,                                                    \
   OptionCheck::kNone,                                     \
   HERALD_SPEC_FIELD(section, key)},
#define HERALD_SPEC_BOOL(section, key, def, help)                                  \
  {#section "." #key, OptionType::kBool,  (def) ? "true" : "false",       help, 0, \
   INT64_MAX,         OptionCheck::kNone, HERALD_SPEC_FIELD(section, key)},
#define HERALD_SPEC_LIST(section, key, def, check, help)                        \
  {#section "." #key,  OptionType::kStringList,        def, help, 0, INT64_MAX, \
   OptionCheck::check, HERALD_SPEC_FIELD(section, key)},
#define HERALD_SPEC_SECTION(section) \
  HERALD_OPTIONS_##section(HERALD_SPEC_STRING, HERALD_SPEC_INT, HERALD_SPEC_BOOL, HERALD_SPEC_LIST)

const std::vector<OptionSpec>& AllOptions() {
  static const std::vector<OptionSpec> kOptions = {HERALD_CONFIG_SECTIONS(HERALD_SPEC_SECTION)};
  return kOptions;
}

#undef HERALD_SPEC_SECTION
#undef HERALD_SPEC_LIST
#undef HERALD_SPEC_BOOL
#undef HERALD_SPEC_INT
#undef HERALD_SPEC_STRING
#undef HERALD_SPEC_FIELD

const OptionSpec& SpecOf(Option option) { return AllOptions()[static_cast<size_t>(option)]; }

std::vector<std::string> SplitOptionList(const std::string& v) { return SplitNonEmpty(v, ','); }

namespace {

const OptionSpec* Find(const std::string& name) {
  for (const auto& o : AllOptions())
    if (name == o.name) return &o;
  return nullptr;
}

Status Bad(const std::string& origin, const std::string& name, const std::string& why) {
  return Status::Error(Code::kConfig, origin + ": " + name + ": " + why);
}

// The value check of a string or list option (OptionSpec::check).
Status Check(const OptionSpec& o, const std::string& value, const std::string& origin) {
  switch (o.check) {
    case OptionCheck::kNone: break;
    case OptionCheck::kLogLevel:
      if (value != "debug" && value != "info" && value != "warning" && value != "error")
        return Bad(origin, o.name, "expected debug, info, warning or error");
      break;
    case OptionCheck::kPublicUrl: {
      if (value.empty()) break;
      bool http = value.rfind("http://", 0) == 0, https = value.rfind("https://", 0) == 0;
      size_t rest = http ? 7 : 8;
      if ((!http && !https) || value.size() <= rest || value[rest] == '/' ||
          value.find_first_of("?# \t\r\n") != std::string::npos)
        return Bad(
            origin, o.name,
            "expected an http:// or https:// URL without query or fragment, got '" + value + "'");
      break;
    }
    case OptionCheck::kRetryPolicy:
      if (value != "fixed" && value != "exponential")
        return Bad(origin, o.name, "expected fixed or exponential");
      break;
    case OptionCheck::kRecordBodies:
      if (value != "failed" && value != "all") return Bad(origin, o.name, "expected failed or all");
      break;
    case OptionCheck::kNetworks: {
      auto nets = NetworkList::Parse(SplitOptionList(value));
      if (!nets.ok()) return Bad(origin, o.name, nets.status().message());
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EnvNameFor(const std::string& option) {
  std::string env = "HERALD_";
  for (char c : option) env += c == '.' ? '_' : static_cast<char>(toupper(c));
  return env;
}

Status Config::Set(const std::string& name, const std::string& value, const std::string& origin) {
  const OptionSpec* o = Find(name);
  if (!o) return Bad(origin, name, "unknown option");
  void* field = o->field(settings_);
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
        return Bad(origin, name,
                   "must be between " + std::to_string(o->min) + " and " + std::to_string(o->max) +
                       ", got " + value);
      *static_cast<int64_t*>(field) = n;
      return Status::Ok();
    }
    case OptionType::kBool:
      if (value != "true" && value != "false" && value != "1" && value != "0")
        return Bad(origin, name, "expected true or false, got '" + value + "'");
      *static_cast<bool*>(field) = value == "true" || value == "1";
      return Status::Ok();
    case OptionType::kString:
      HERALD_RETURN_IF_ERROR(Check(*o, value, origin));
      *static_cast<std::string*>(field) = value;
      return Status::Ok();
    case OptionType::kStringList:
      HERALD_RETURN_IF_ERROR(Check(*o, value, origin));
      *static_cast<std::vector<std::string>*>(field) = SplitOptionList(value);
      return Status::Ok();
  }
  return Status::Ok();
}

Status Config::Set(Option option, const std::string& value, const std::string& origin) {
  return Set(SpecOf(option).name, value, origin);
}

Status Config::LoadFile(const std::string& path) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << path << ":" << e.source().begin.line << ": " << e.description();
    return Status::Error(Code::kConfig, os.str());
  } catch (const std::exception& e) {
    return Status::Error(Code::kConfig, path + ": " + e.what());
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
        if (o->type != OptionType::kStringList)
          return Bad(path, name, "expected a single value, not a list");
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
        const char* sep = "";
        for (const auto& item : SplitOptionList(def)) {
          out += sep + ("\"" + item + "\"");
          sep = ", ";
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
