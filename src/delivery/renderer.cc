#include "delivery/renderer.h"

#include "value/json.h"

namespace herald::delivery {

Renderer::Renderer(jinja::Options options) : env_(options), header_env_(options) {
  jinja::AddHeaderSafeFilter(header_env_);
}

void Renderer::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
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
                                         const HeaderList& extra_headers) {
  auto c = Get(w);
  auto fail = [](std::string msg) { return Status::Error("RenderError", std::move(msg)); };
  RenderedRequest req;
  req.method = w.http_method;

  // 1. Headers: Content-Type, then the rendered additional headers.
  HeaderList additional;
  if (!c->headers_error.empty())
    return fail("Error parsing HTTP headers for webhook " + w.name + ": " + c->headers_error);
  if (c->headers) {
    auto out = c->headers->Render(context);
    if (!out.ok())
      return fail("Error parsing HTTP headers for webhook " + w.name + ": " +
                  out.error().ToString());
    additional = ParseAdditionalHeaders(out.value());
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

  // 4. Extra headers, then the signature last.
  for (const auto& h : extra_headers) req.headers.push_back(h);
  if (!w.secret.empty()) req.headers.emplace_back(std::string(kSignatureHeader), SignBody(w.secret, req.body));
  return req;
}

}  // namespace herald::delivery
