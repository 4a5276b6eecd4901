// Calling an HTTP handler in-process, as the server would: build the request from a method and
// a target, hand it to the handler, wait (bounded) for the one answer, read its headers. Used by
// the API and UI tests, which test the handlers without a socket.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http.h"

namespace herald::testing {

// A request of `method` for `target` ("/api/x/?a=1", parsed by Request::SetTarget), with `body`.
// No headers and no client address.
http::Request MakeRequest(std::string method, std::string target, std::string body = "");

// Hands `req` to `handler` and waits up to `deadline` for the answer. Counts every call of the
// responder in *answers when given (so a second answer to one request shows). No answer in
// time fails the test and returns a response with status 0.
http::Response CallHandler(const http::Handler& handler, http::Request req,
                           std::chrono::seconds deadline = std::chrono::seconds(30),
                           std::atomic<int64_t>* answers = nullptr);

// The value of the first response header named `name` (exact case); "" when absent.
std::string HeaderOf(const http::Response& r, std::string_view name);

}  // namespace herald::testing
