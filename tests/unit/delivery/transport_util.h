// What the transport tests share: a POST request to a URL, and sending one request through a
// Transport while waiting (bounded) for its answer. The servers are support/test_server.h.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "delivery/transport.h"
#include "support/test_server.h"

namespace herald::delivery {

using herald::testing::Answer;
using herald::testing::AnswerAfter;
using herald::testing::NeverAnswer;
using herald::testing::ServerRequest;
using herald::testing::ServerResponse;
using herald::testing::TestServer;
using namespace std::chrono_literals;

// A generous upper bound for any single wait.
constexpr auto kDeadline = 30s;

// A JSON POST of `body` to `url` with a 10 s timeout.
inline HttpRequest Post(const std::string& url, std::string body = R"({"event": "created"})") {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  r.timeout = 10s;
  return r;
}

// Submits `req` and waits up to kDeadline for the answer; an empty response and a test failure
// when none comes.
inline HttpResponse Send(Transport& t, HttpRequest req) {
  auto p = std::make_shared<std::promise<HttpResponse>>();
  auto f = p->get_future();
  t.Submit(std::move(req), [p](HttpResponse r) { p->set_value(std::move(r)); });
  if (f.wait_for(kDeadline) != std::future_status::ready) {
    ADD_FAILURE() << "no response before the deadline";
    return {};
  }
  return f.get();
}

}  // namespace herald::delivery
