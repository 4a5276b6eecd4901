// HTTP answers: the Response every handler returns, the one set of builders for it (JSON, the
// {"detail": ...} error body, HTML, text, redirect, empty), the header checks the server applies
// before writing one, and the raw wire form for the few answers written without Beast (the
// server's refusal beyond the connection cap, `herald webhook_receiver`). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "value/value.h"

namespace herald::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kJsonType = "application/json";
inline constexpr const char* kHtmlType = "text/html; charset=utf-8";
inline constexpr const char* kTextType = "text/plain; charset=utf-8";

struct Response {
  int status = 200;
  std::string content_type = kJsonType;  // empty: no Content-Type header
  HeaderList headers;                    // besides Content-Type, Content-Length and Server
  std::string body;
  bool close = false;  // close the connection after writing

  // `body` (JSON text already) as application/json.
  static Response Json(int status, std::string body);
  static Response Json(int status, const char* body) { return Json(status, std::string(body)); }
  // `v` as compact JSON (DumpJsonCompact: "," and ":" separators, UTF-8 kept).
  static Response Json(int status, const Value& v);
  // {"detail": message} as compact JSON: the error body of the API and of the server's own
  // refusals (NetBox's shape).
  static Response Detail(int status, std::string_view message);
  // `body` as text/plain; charset=utf-8, or as `content_type`.
  static Response Text(int status, std::string body, std::string content_type = kTextType);
  // `body` as text/html; charset=utf-8.
  static Response Html(int status, std::string body);
  // `status` (a 3xx) to `location`, with an empty text/plain body.
  static Response Redirect(int status, std::string location);
  // `status` (204, say) with neither body nor Content-Type.
  static Response Empty(int status);

  // Adds a header (after those already there) and returns *this, for chaining.
  Response& With(std::string name, std::string value);
};

// The {"detail": message} body alone, as compact JSON.
std::string DetailJson(std::string_view message);

// Whether `name` is an RFC 9110 token (a valid header name): visible ASCII without separators.
bool IsHeaderName(std::string_view name);
// Whether `value` may be written as a header value: no CR, LF or NUL.
bool IsHeaderValue(std::string_view value);

// The whole answer as it goes on the wire, for a connection that closes after it:
// "HTTP/<1.0|1.1> <status> <reason>", Server (when `server` is not empty), the headers, then
// Content-Type, Content-Length and "Connection: close", and the body. `version` is 10 or 11.
// Headers that fail IsHeaderName / IsHeaderValue are left out.
std::string Serialize(const Response& r, int version, std::string_view server);

// Standard reason phrase for a status code ("OK", "Not Found", ...); "" when unknown.
std::string_view ReasonPhrase(int status);

}  // namespace herald::http
