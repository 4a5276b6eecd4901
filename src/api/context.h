// What the API's handler files share, and nothing outside src/api/ includes: the per-request
// context (Api::Ctx: the request, its token, the reply helpers and pagination) and the small
// parsing helpers. The router (api.cc) defines them; the handlers live in crud.cc (webhooks
// and event rules), ingest.cc (/api/events/), tasks.cc (background tasks and queues) and
// workers.cc (background workers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/filters.h"
#include "common/strings.h"
#include "value/value.h"

namespace herald {

namespace api_util {

// A decimal id of 1 to 18 digits (no sign); false otherwise.
bool ParseId(const std::string& s, int64_t* out);
// true/1/yes/on or false/0/no/off, in any case; false when `s` is neither.
bool ParseBoolParam(const std::string& s, bool* out);

}  // namespace api_util

struct Api::Ctx {
  http::Request req;
  http::Responder respond;         // adds the API-Version header (Handle)
  ApiToken token;                  // set by Route once the token is checked (empty on public paths)
  std::string api_base;            // BaseUrl() when the request came
  std::vector<std::string> parts;  // the path's non-empty segments, "api" first
  bool responded = false;

  // Each answers through respond and sets `responded`.
  void Reply(http::Response r);
  // `v` as compact JSON.
  void ReplyValue(int status, const Value& v);
  // {"detail": msg} (http::Response::Detail).
  void Error(int status, std::string_view msg);
  // Failed `st` as api/errors.h maps it: its HTTP status and NetBox's error body.
  void Error(const herald::Status& st);
  // 405 "Method \"<method>\" not allowed."
  void MethodNotAllowed();
  void NoContent();
  bool IsRead() const { return req.method == "GET" || req.method == "HEAD"; }
  // Whether the token may see credential header values and signatures (model/redact.h).
  bool ShowCredentials() const { return ScopeAllows(token.scope, Access::kCredentials); }
  // ?brief= with any non-empty value.
  bool Brief() const;
  // Brief() on a read, unless ?fields= or ?omit= (non-empty) choose the fields instead, as
  // NetBox's precedence is: fields, else omit, else brief (brief on GET only).
  bool BriefOnly() const;
  // `v` (an object's JSON) cut to ?fields= (comma-separated names, in v's order) or without
  // ?omit='s names; unknown names are ignored. `v` unchanged when neither is given.
  Value SelectFields(Value v) const;

  // Pagination parameters (?limit=, ?offset=), as NetBox reads them: a limit of 0 or above
  // o.max_page_size means o.max_page_size; a malformed or negative limit means
  // o.default_page_size, a malformed or negative offset 0 (never an error).
  void Page(const ApiOptions& o, int64_t* limit, int64_t* offset) const;
  // This request's URL with the other query parameters kept and limit/offset replaced (with
  // `start` >= 0: limit and start, no offset).
  std::string PageUrl(int64_t limit, int64_t offset, int64_t start = -1) const;
  // Answers one list page of the objects `sel` (indexes; read(i, spec) reads object i's field
  // for the filter table `specs`, which has an "id" kNumber filter; render(i) is its JSON):
  // with ?start=<id> NetBox 4.6's cursor page (ids >= start, by id, count null, `next` with
  // the next start); else sorted by ?ordering= (api/filters.h) and cut by limit/offset.
  void ListPage(const ApiOptions& o, const std::vector<api::FilterSpec>& specs,
                const std::function<api::FieldValue(size_t, size_t)>& read, std::vector<size_t> sel,
                const std::function<Value(size_t)>& render);
  // NetBox's page: {"count", "next", "previous", "results"} for `count` objects in all.
  Value Paginated(int64_t count, List results, int64_t limit, int64_t offset) const;
  // The same page when the total is unknown: count null, `more` says whether a next page exists.
  Value PaginatedUncounted(bool more, List results, int64_t limit, int64_t offset) const;

 private:
  Value PageValue(Value count, bool more, List results, int64_t limit, int64_t offset) const;
};

}  // namespace herald
