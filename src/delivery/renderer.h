// Renderer: a webhook + a context -> the exact HTTP request NetBox would send (SPEC 5.2-5.5).
//
// Templates (payload URL, additional headers, body) are compiled once per webhook revision
// (id + last_updated) and cached; compiled templates are immutable, so Render is thread-safe and
// cheap. Additional headers render in an environment that also has the `header_safe` filter and
// that refuses any {{ }} value holding a line break (so event data cannot add or re-frame
// headers); literal line breaks in the template text separate headers as in NetBox. Rendered
// headers may not set Content-Length, Transfer-Encoding, Host or Connection (ForbiddenHeaderName).
// MakeHttpRequest then turns a rendered request into what the transport sends: the dispatcher
// and the UI's "send test" both go through Render and MakeHttpRequest.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "delivery/request.h"
#include "delivery/transport.h"
#include "jinja/jinja.h"
#include "model/model.h"
#include "value/value.h"

namespace herald::delivery {

struct RenderedRequest {
  std::string method;
  std::string url;  // normalised
  // Wire order: Content-Type, additional headers, extra headers, then the signature headers
  // (webhook-id, webhook-timestamp, webhook-signature; X-Hook-Signature last).
  HeaderList headers;
  std::string body;
};

// What the Standard Webhooks headers take besides the webhook and the body (delivery/signature.h):
// the message id (webhook-id; a task's id) and the time of sending (webhook-timestamp, and
// whether a previous secret still signs). The dispatcher renders a request just before it hands
// it to the transport, so `now_us` is the send time up to the wait for a free connection.
struct SignContext {
  std::string message_id;
  TimeUs now_us = 0;
};

// How a request travels when its webhook does not say: delivery.default_timeout and the
// proxies (NetBox's HTTP_PROXIES). Views: the caller keeps the strings alive during the call.
struct SendDefaults {
  int timeout_seconds = 60;
  std::string_view http_proxy;
  std::string_view https_proxy;
};

// The transport request for `rendered` (what Render made of `webhook`): its method, URL, headers
// and body; the webhook's timeout (else defaults.timeout_seconds), TLS verification and CA file;
// the proxy for the URL's scheme. The transport's network guard checks every address it then
// connects to. Pure, thread-safe.
HttpRequest MakeHttpRequest(const Webhook& webhook, RenderedRequest rendered,
                            const SendDefaults& defaults);

class Renderer {
 public:
  explicit Renderer(jinja::Options options = {});

  // Renders `webhook` for `context` (SPEC 5.1 dict). Extra headers (e.g. X-Herald-Task) are
  // inserted before the signature headers, which `sign` completes (AppendSignatureHeaders). Errors
  // (type "RenderError") carry NetBox's wording: "Error parsing HTTP headers for webhook {name}:
  // ...", "Error rendering request body for webhook {name}: ...", "Error rendering payload URL for
  // webhook {name}: ...", or "Error forming HTTP request: ...". A {{ }} value with a line break in
  // additional_headers gives "Error parsing HTTP headers for webhook {name}: additional_headers:
  // the value of
  // {{ data.name }} on line 1 contains a line break (U+000A); ...". Thread-safe.
  Result<RenderedRequest> Render(const Webhook& webhook, const Value& context,
                                 const HeaderList& extra_headers = {},
                                 const SignContext& sign = {});

  // Compiles `source` as Render compiles a body template (same environment and options), for
  // callers that render it themselves (`herald template bench`). Thread-safe; no caching.
  jinja::Outcome<std::shared_ptr<const jinja::Template>> CompileBody(std::string_view source) const;

 private:
  struct Compiled {
    int64_t last_updated = 0;
    std::string url_src, headers_src, body_src;
    std::shared_ptr<const jinja::Template> url, headers, body;  // null when the source is empty
    std::string url_error, headers_error, body_error;           // compile errors
  };
  std::shared_ptr<const Compiled> Get(const Webhook& w);

  jinja::Environment env_;
  jinja::Environment header_env_;
  std::mutex mu_;
  std::unordered_map<int64_t, std::shared_ptr<const Compiled>> cache_;
};

}  // namespace herald::delivery
