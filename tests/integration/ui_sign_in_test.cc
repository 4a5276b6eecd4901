// The UI's sign-in hardening through the real binary and its configuration: the failed sign-in
// limit (ui.max_failed_sign_ins) answers 429, X-Forwarded-For is believed only when
// server.trusted_proxies lists the peer, the session cookie is Secure when server.public_url is
// https, and a bad trusted_proxies entry stops the server at start with a clear error.
#include <gtest/gtest.h>

#include "harness.h"

namespace herald::testing {
namespace {

const std::vector<std::string> kForm = {"Content-Type: application/x-www-form-urlencoded"};

int SignIn(const Server& s, const std::string& token, const std::string& xff = "") {
  auto h = kForm;
  if (!xff.empty()) h.push_back("X-Forwarded-For: " + xff);
  return Http("POST", s.base() + "/login", "token=" + token + "&next=%2F", h).status;
}

class UiSignIn : public ::testing::Test {
 protected:
  // Starts herald serve with `setting` = `value`, two failed sign-ins allowed per client and no
  // delivery workers.
  Server& Start(const std::string& setting, const std::string& value) {
    server_ = std::make_unique<Server>(
        dir_.path(), std::vector<std::string>{},
        std::map<std::string, std::string>{{"HERALD_UI_MAX_FAILED_SIGN_INS", "2"},
                                           {"HERALD_DELIVERY_WORKERS", "false"},
                                           {setting, value}});
    EXPECT_TRUE(server_->started()) << server_->Stderr();
    return *server_;
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(UiSignIn, LimitAndForwardedForFromTrustedProxyOnly) {
  Server& s = Start("HERALD_SERVER_TRUSTED_PROXIES", "127.0.0.0/8,::1");
  ASSERT_TRUE(s.started());
  // The test client is 127.0.0.1, a trusted proxy here: each forwarded client counts alone.
  EXPECT_EQ(SignIn(s, "wrong", "203.0.113.1"), 403);
  EXPECT_EQ(SignIn(s, "wrong", "203.0.113.1"), 403);
  auto limited = Http("POST", s.base() + "/login", "token=" + s.admin_token(),
                      {kForm[0], "X-Forwarded-For: 203.0.113.1"});
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.body.find("Too many failed sign-ins"), std::string::npos);
  EXPECT_FALSE(limited.headers["retry-after"].empty());
  EXPECT_EQ(SignIn(s, s.admin_token(), "203.0.113.2"), 303) << "another client is not limited";
  EXPECT_TRUE(s.WaitForLog("client=203.0.113.1", std::chrono::milliseconds(5000)));
}

TEST_F(UiSignIn, ForwardedForIsIgnoredWithoutTrustedProxiesAndCookieIsSecureOverHttps) {
  Server& s = Start("HERALD_SERVER_PUBLIC_URL", "https://herald.example.com");
  ASSERT_TRUE(s.started());
  auto ok = Http("POST", s.base() + "/login", "token=" + s.admin_token(), kForm);
  ASSERT_EQ(ok.status, 303);
  EXPECT_NE(ok.headers["set-cookie"].find("; Secure"), std::string::npos)
      << ok.headers["set-cookie"];
  // No trusted proxy: a client cannot dodge the limit by writing X-Forwarded-For.
  EXPECT_EQ(SignIn(s, "wrong", "203.0.113.1"), 403);
  EXPECT_EQ(SignIn(s, "wrong", "203.0.113.2"), 403);
  EXPECT_EQ(SignIn(s, s.admin_token(), "203.0.113.3"), 429);
}

TEST_F(UiSignIn, BadTrustedProxyIsAClearStartError) {
  auto bad = RunHerald({"serve", "--store", "sqlite://" + dir_.File("x.db")},
                       {{"HERALD_SERVER_TRUSTED_PROXIES", "10.0.0.0/8,proxy.example"}});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("server.trusted_proxies"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("proxy.example"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace herald::testing
