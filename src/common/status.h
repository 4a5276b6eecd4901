// Status and Result<T>: expected failures as values.
//
// Every module reports normal failures (bad input, unreachable peers, invalid templates)
// through these types instead of exceptions. A Status carries a Code (what kind of failure, for
// callers to branch on), a human message, and optionally:
//   - the fields it is about (validation and conflict errors: "name", "action_object_id", ...),
//     which the API reports as NetBox does, {"<field>": ["<message>"]} (api/errors.h);
//   - a label: the Python exception class users see where Herald mirrors Python behaviour
//     ("ValueError", "InvalidURL", "re.error", ...). It is display text only: branch on code().
// Result<T> holds either a T or a failed Status. Both are cheap to copy and move (a failed
// Status shares one immutable record) and thread-compatible.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald {

// What kind of failure a Status is. Callers branch on these, never on message text.
enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,    // the input is wrong: validation, parsing, a bad URL/header/template
  kNotFound,           // the named object does not exist
  kConflict,           // the object exists already, or its state forbids the change
  kResourceExhausted,  // a named limit was reached (regex steps, tasks per event, ...)
  kDeadlineExceeded,   // a time budget ran out
  kUnavailable,        // a resource failed: store or file I/O, DNS, a socket, randomness
  kConfig,             // the configuration is wrong (an option, the store URL, ...)
  kUnsupported,        // this backend or build cannot do it
  kInternal,           // a broken invariant or corrupt data
};

// The code's name, e.g. "InvalidArgument", "NotFound" ("OK" for kOk).
std::string_view CodeName(Code code);

// Per-field messages in the order first reported: {"name": ["This field is required."], ...}.
using FieldErrors = std::vector<std::pair<std::string, std::vector<std::string>>>;

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  // A failure of `code` (not kOk) with `message`.
  Status(Code code, std::string message) : Status(code, std::string(), std::move(message), {}) {}

  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) { return Status(code, std::move(message)); }
  // A failure users see as the Python exception class `label`, e.g.
  // Error(Code::kInvalidArgument, "ValueError", "bad input") prints "ValueError: bad input".
  static Status Error(Code code, std::string label, std::string message) {
    return Status(code, std::move(label), std::move(message), {});
  }
  // kInvalidArgument about one input field.
  static Status Invalid(std::string field, std::string message) {
    return WithField(Code::kInvalidArgument, std::move(field), std::move(message));
  }
  // kInvalidArgument about several fields (`errors` not empty); message() is the first message.
  static Status Invalid(FieldErrors errors);
  // kConflict about one field, e.g. Conflict("name", "webhook with this name already exists.").
  static Status Conflict(std::string field, std::string message) {
    return WithField(Code::kConflict, std::move(field), std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return ok(); }
  Code code() const { return code_; }
  // Empty when ok.
  const std::string& message() const { return rep_ ? rep_->message : Empty(); }
  // The Python exception class shown to users, or empty (see the file comment).
  const std::string& label() const { return rep_ ? rep_->label : Empty(); }
  // The first field this error is about, or empty.
  const std::string& field() const {
    return rep_ && !rep_->fields.empty() ? rep_->fields.front().first : Empty();
  }
  // Every field this error is about, with its messages; empty when it names no field.
  const FieldErrors& field_errors() const;
  // "Label: message" ("CodeName: message" without a label; "field: message" for a field
  // error), or "OK".
  std::string ToString() const;

 private:
  struct Rep {
    std::string label;
    std::string message;
    FieldErrors fields;
  };
  Status(Code code, std::string label, std::string message, FieldErrors fields)
      : code_(code),
        rep_(std::make_shared<const Rep>(
            Rep{std::move(label), std::move(message), std::move(fields)})) {
    assert(code != Code::kOk);
  }
  static Status WithField(Code code, std::string field, std::string message) {
    FieldErrors fields;
    if (!field.empty()) fields.push_back({std::move(field), {message}});
    return Status(code, std::string(), std::move(message), std::move(fields));
  }
  static const std::string& Empty();

  Code code_ = Code::kOk;
  std::shared_ptr<const Rep> rep_;  // null when ok
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
#define HERALD_RETURN_IF_ERROR(expr) \
  do {                               \
    ::herald::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
