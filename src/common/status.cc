#include "common/status.h"

namespace herald {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kConflict: return "Conflict";
    case Code::kResourceExhausted: return "ResourceExhausted";
    case Code::kDeadlineExceeded: return "DeadlineExceeded";
    case Code::kUnavailable: return "Unavailable";
    case Code::kConfig: return "Config";
    case Code::kUnsupported: return "Unsupported";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

Status Status::Invalid(FieldErrors errors) {
  assert(!errors.empty() && !errors.front().second.empty());
  std::string first = errors.empty() || errors.front().second.empty()
                          ? std::string("invalid input")
                          : errors.front().second.front();
  return Status(Code::kInvalidArgument, std::string(), std::move(first), std::move(errors));
}

const FieldErrors& Status::field_errors() const {
  static const FieldErrors kNone;
  return rep_ ? rep_->fields : kNone;
}

const std::string& Status::Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = label().empty() ? std::string(CodeName(code_)) : label();
  out += ": ";
  if (!field().empty()) out += field() + ": ";
  return out + message();
}

}  // namespace herald
