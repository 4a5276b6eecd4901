#include "api/errors.h"

#include "validation/forms.h"

namespace herald {

int HttpStatusFor(const Status& st) {
  if (!st.field_errors().empty()) return 400;
  switch (st.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kResourceExhausted:
    case Code::kDeadlineExceeded:
    case Code::kUnavailable:
    case Code::kConfig:
    case Code::kUnsupported:
    case Code::kInternal: return 500;
  }
  return 500;
}

Value ErrorBody(const Status& st) {
  if (!st.field_errors().empty()) return FieldErrorsToValue(st.field_errors());
  Dict d;
  d.set("detail", st.message());
  return Value(std::move(d));
}

FieldErrors FormErrors(const Status& st) {
  if (st.ok()) return {};
  if (!st.field_errors().empty()) return st.field_errors();
  return {{"non_field_errors", {st.message()}}};
}

}  // namespace herald
