#include "http/response.h"

#include "value/json.h"

namespace herald::http {

namespace {

Response Make(int status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

}  // namespace

Response Response::Json(int status, std::string body) {
  return Make(status, kJsonType, std::move(body));
}

Response Response::Json(int status, const Value& v) {
  return Make(status, kJsonType, DumpJsonCompact(v));
}

Response Response::Detail(int status, std::string_view message) {
  return Make(status, kJsonType, DetailJson(message));
}

Response Response::Text(int status, std::string body, std::string content_type) {
  return Make(status, std::move(content_type), std::move(body));
}

Response Response::Html(int status, std::string body) {
  return Make(status, kHtmlType, std::move(body));
}

Response Response::Redirect(int status, std::string location) {
  return Make(status, "text/plain", "").With("Location", std::move(location));
}

Response Response::Empty(int status) { return Make(status, "", ""); }

Response& Response::With(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string DetailJson(std::string_view message) {
  Dict d;
  d.set("detail", Value(message));
  return DumpJsonCompact(Value(std::move(d)));
}

bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) !=
            std::string_view::npos)
      return false;
  return true;
}

bool IsHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string Serialize(const Response& r, int version, std::string_view server) {
  std::string_view reason = ReasonPhrase(r.status);
  std::string out = (version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ") + std::to_string(r.status) + " " +
                    std::string(reason.empty() ? "Unknown" : reason) + "\r\n";
  auto header = [&out](std::string_view name, std::string_view value) {
    if (!IsHeaderName(name) || !IsHeaderValue(value)) return;
    out.append(name).append(": ").append(value).append("\r\n");
  };
  if (!server.empty()) header("Server", server);
  for (const auto& [k, v] : r.headers) header(k, v);
  if (!r.content_type.empty()) header("Content-Type", r.content_type);
  header("Content-Length", std::to_string(r.body.size()));
  header("Connection", "close");
  return out + "\r\n" + r.body;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace herald::http
