// The fixture most integration tests share: one `herald serve` (harness.h's Server) on a store
// in a fresh temporary directory. StartServer starts it, or starts it again on the same store
// (after a crash or a stop); token_ is the admin API token printed at its first start.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace herald::testing {

class ServerFixture : public ::testing::Test {
 protected:
  // Starts `herald serve` with `env` (fails the test when it does not start).
  void StartServer(std::map<std::string, std::string> env = {}) {
    server_ = std::make_unique<Server>(dir_.path(), std::vector<std::string>{}, std::move(env));
    ASSERT_TRUE(server_->started()) << server_->Stderr();
    if (token_.empty()) token_ = server_->admin_token();
  }
  // The URL of `path` on the server.
  std::string Url(const std::string& path) const { return server_->base() + path; }
  // API calls with the admin token.
  HttpResult Get(const std::string& path) const { return Api("GET", Url(path), token_); }
  HttpResult Post(const std::string& path, const std::string& body,
                  const std::string& content_type = "application/json") const {
    return Api("POST", Url(path), token_, body, content_type);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::string token_;
};

}  // namespace herald::testing
