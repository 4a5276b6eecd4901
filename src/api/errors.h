// How a failed Status reaches an HTTP client: its status code and NetBox's (Django REST
// framework's) error body. The REST API answers with both (Api::Ctx::Error(Status)); the UI
// answers its pages with the same status and shows the same field errors next to its form
// fields. This is the one place a Code becomes an HTTP status.
#pragma once

#include "common/status.h"
#include "value/value.h"

namespace herald {

// The HTTP status for failed `st`:
//   400 when it names fields (a validation error, or a conflict on a field such as a taken
//       name: NetBox reports unique-constraint failures as field errors) or is kInvalidArgument;
//   404 for kNotFound; 409 for kConflict;
//   500 for everything else (kUnavailable, kInternal, kConfig, ...), as NetBox answers a
//       server-side failure.
// (200 for an OK `st`.)
int HttpStatusFor(const Status& st);

// NetBox's error body for failed `st`: {"<field>": ["<message>", ...], ...} when it names
// fields, else {"detail": "<message>"}.
Value ErrorBody(const Status& st);

// The errors a form shows next to its fields: st's field errors, or its message under
// "non_field_errors" when it names no field (OK `st`: none).
FieldErrors FormErrors(const Status& st);

}  // namespace herald
