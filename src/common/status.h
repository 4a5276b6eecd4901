// Status and Result<T>: expected failures as values.
//
// Every module reports normal failures (bad input, unreachable peers, invalid templates)
// through these types instead of exceptions. A Status carries a short machine code (the error
// "type", e.g. "ValueError" or "InvalidCondition") and a human message. Result<T> holds either a
// T or a failed Status. Both are cheap to move and thread-compatible (not shared-mutable).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace herald {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(std::string type, std::string message)
      : ok_(false), type_(std::move(type)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Error(std::string type, std::string message) {
    return Status(std::move(type), std::move(message));
  }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // The error class, e.g. "ValueError", "TypeError", "NotFound". Empty when ok.
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }
  // "Type: message", or "OK".
  std::string ToString() const { return ok_ ? "OK" : type_ + ": " + message_; }

 private:
  bool ok_ = true;
  std::string type_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace herald

// Propagate a failed Status from an expression returning Status.
#define HERALD_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::herald::Status _st = (expr);          \
    if (!_st.ok()) return _st;              \
  } while (0)
