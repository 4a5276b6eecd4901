// Environment variables in tests: set one for a scope and put the old value back after it.
#pragma once

#include <stdlib.h>

#include <optional>
#include <string>
#include <utility>

namespace herald::testing {

// Sets `name` to `value` until the end of the scope, then restores what was there (or unsets
// it). Not thread-safe (setenv): use it where no other thread reads the environment meanwhile.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = getenv(name_.c_str())) old_ = old;
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_.c_str(), old_->c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace herald::testing
