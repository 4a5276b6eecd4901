#include "delivery/renderer.h"

#include "delivery/signature.h"
#include "validation/forms.h"
#include "value/json.h"

namespace herald::delivery {
namespace {

// Error type of a printed value that holds a line break (see HeaderOptions).
constexpr const char* kLineBreakError = "HeaderLineBreak";

// The additional_headers environment: every {{ }} output is checked for the line breaks that
// ParseAdditionalHeaders splits on, so data can never start a header of its own. Line breaks
// written in the template text still separate headers, as in NetBox.
jinja::Options HeaderOptions(jinja::Options o) {
  o.check_printed = [](std::string_view printed, int) -> Status {
    uint32_t cp = FirstLineBreak(printed);
    if (cp == 0) return Status::Ok();
    return Status::Error(Code::kInvalidArgument, kLineBreakError, CodePointName(cp));
  };
  return o;
}

// "the value of {{ data.name }} on line 2" when line `lineno` of `source` holds exactly one
// {{ }} expression, else "a {{ }} value on line 2".
std::string DescribeExpression(std::string_view source, int lineno) {
  size_t begin = 0;
  for (int l = 1; l < lineno && begin != std::string_view::npos; ++l) {
    begin = source.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  std::string where = " on line " + std::to_string(lineno);
  if (begin == std::string_view::npos || lineno < 1) return "a {{ }} value" + where;
  size_t end = source.find('\n', begin);
  std::string_view line = source.substr(begin, end == std::string_view::npos ? end : end - begin);
  size_t open = line.find("{{");
  size_t close = open == std::string_view::npos ? open : line.find("}}", open);
  if (close == std::string_view::npos || line.find("{{", close) != std::string_view::npos)
    return "a {{ }} value" + where;
  std::string_view expr = line.substr(open, close + 2 - open);
  constexpr size_t kMaxShown = 80;
  if (expr.size() > kMaxShown) return "a {{ }} value" + where;
  return "the value of " + std::string(expr) + where;
}

}  // namespace

Renderer::Renderer(jinja::Options options) : env_(options), header_env_(HeaderOptions(options)) {
  jinja::AddHeaderSafeFilter(header_env_);
}

jinja::Outcome<std::shared_ptr<const jinja::Template>> Renderer::CompileBody(
    std::string_view source) const {
  return env_.Compile(source);
}

std::shared_ptr<const Renderer::Compiled> Renderer::Get(const Webhook& w) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(w.id);
    if (it != cache_.end() && it->second->last_updated == w.last_updated &&
        it->second->url_src == w.payload_url && it->second->headers_src == w.additional_headers &&
        it->second->body_src == w.body_template)
      return it->second;
  }
  auto c = std::make_shared<Compiled>();
  c->last_updated = w.last_updated;
  c->url_src = w.payload_url;
  c->headers_src = w.additional_headers;
  c->body_src = w.body_template;
  auto compile = [](const jinja::Environment& env, const std::string& src,
                    std::shared_ptr<const jinja::Template>* out, std::string* err) {
    if (src.empty()) return;
    auto t = env.Compile(src);
    if (t.ok()) *out = t.value();
    else *err = t.error().ToString();
  };
  compile(env_, w.payload_url, &c->url, &c->url_error);
  compile(header_env_, w.additional_headers, &c->headers, &c->headers_error);
  compile(env_, w.body_template, &c->body, &c->body_error);
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() > 10000) cache_.clear();
  cache_[w.id] = c;
  return c;
}

Result<RenderedRequest> Renderer::Render(const Webhook& w, const Value& context,
                                         const HeaderList& extra_headers, const SignContext& sign) {
  auto c = Get(w);
  auto fail = [](std::string msg) { return Status::Error(Code::kInvalidArgument, std::move(msg)); };
  RenderedRequest req;
  req.method = w.http_method;

  // 1. Headers: Content-Type, then the rendered additional headers.
  HeaderList additional;
  if (!c->headers_error.empty())
    return fail("Error parsing HTTP headers for webhook " + w.name + ": " + c->headers_error);
  if (c->headers) {
    auto out = c->headers->Render(context);
    if (!out.ok()) {
      const jinja::Error& e = out.error();
      if (e.type == kLineBreakError)
        return fail("Error parsing HTTP headers for webhook " + w.name + ": additional_headers: " +
                    DescribeExpression(c->headers_src, e.lineno) + " contains a line break (" +
                    e.message + "); a header value must stay on one line");
      return fail("Error parsing HTTP headers for webhook " + w.name + ": " + e.ToString());
    }
    additional = ParseAdditionalHeaders(out.value());
  }
  // Herald frames the request itself: these names never come from additional_headers.
  for (const auto& h : additional) {
    std::string forbidden = ForbiddenHeaderName(h.first);
    if (!forbidden.empty())
      return fail("Error forming HTTP request: " + ForbiddenHeaderMessage(forbidden));
  }
  auto headers = FormRequestHeaders(w.http_content_type, additional);
  if (!headers.ok()) return fail(headers.status().message());
  req.headers = std::move(*headers);

  // 2. Body: the template, or Python's json.dumps(context).
  if (!c->body_error.empty())
    return fail("Error rendering request body for webhook " + w.name + ": " + c->body_error);
  if (c->body) {
    auto out = c->body->Render(context);
    if (!out.ok())
      return fail("Error rendering request body for webhook " + w.name + ": " +
                  out.error().ToString());
    req.body = std::move(out).value();
  } else {
    req.body = DumpJson(context);
  }

  // 3. URL.
  if (!c->url_error.empty())
    return fail("Error rendering payload URL for webhook " + w.name + ": " + c->url_error);
  std::string url;
  if (c->url) {
    auto out = c->url->Render(context);
    if (!out.ok())
      return fail("Error rendering payload URL for webhook " + w.name + ": " +
                  out.error().ToString());
    url = std::move(out).value();
  }
  auto norm = NormalizeUrl(url);
  if (!norm.ok()) return fail("Error forming HTTP request: " + norm.status().message());
  req.url = std::move(*norm);

  // 4. Extra headers, then the signatures last.
  for (const auto& h : extra_headers) req.headers.push_back(h);
  Status signed_ok = AppendSignatureHeaders(w, sign.message_id, sign.now_us, req.body, req.headers);
  if (!signed_ok.ok()) return fail(signed_ok.message());
  return req;
}

HttpRequest MakeHttpRequest(const Webhook& w, RenderedRequest rendered,
                            const SendDefaults& defaults) {
  HttpRequest req;
  req.method = std::move(rendered.method);
  req.url = std::move(rendered.url);
  req.headers = std::move(rendered.headers);
  req.body = std::move(rendered.body);
  req.timeout = std::chrono::seconds(w.timeout.value_or(defaults.timeout_seconds));
  req.verify_tls = w.ssl_verification;
  if (w.ca_file_path && !w.ca_file_path->empty()) req.ca_file = *w.ca_file_path;
  bool https = req.url.rfind("https:", 0) == 0;
  req.proxy = std::string(https ? defaults.https_proxy : defaults.http_proxy);
  return req;
}

}  // namespace herald::delivery
