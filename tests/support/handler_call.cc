#include "handler_call.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <utility>

namespace herald::testing {

http::Request MakeRequest(std::string method, std::string target, std::string body) {
  http::Request req;
  req.method = std::move(method);
  req.SetTarget(std::move(target));
  req.body = std::move(body);
  return req;
}

http::Response CallHandler(const http::Handler& handler, http::Request req,
                           std::chrono::seconds deadline, std::atomic<int64_t>* answers) {
  const std::string what = req.method + " " + req.target.substr(0, 200);
  auto promise = std::make_shared<std::promise<http::Response>>();
  auto answered = std::make_shared<std::atomic<int>>(0);
  auto future = promise->get_future();
  handler(std::move(req), [promise, answered, answers](http::Response r) {
    if (answers) ++*answers;
    if (answered->fetch_add(1) == 0) promise->set_value(std::move(r));
  });
  if (future.wait_for(deadline) != std::future_status::ready) {
    ADD_FAILURE() << what << ": no answer within " << deadline.count() << " s";
    http::Response none;
    none.status = 0;
    return none;
  }
  return future.get();
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

}  // namespace herald::testing
