// auth: the Authorization header parser, what each scope allows, and TokenCache's key
// resolution (ResolveKey for the UI's sign-in form, Resolve for the API's header) against a real
// SQLite store: unknown and revoked keys, the cache's time-to-live (on a FakeClock) and Forget.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "auth/auth.h"
#include "common/clock.h"
#include "support/store_fixture.h"

namespace herald {
namespace {

TEST(ParseAuthorization, TokenAndBearerSchemes) {
  std::string why;
  EXPECT_EQ(ParseAuthorization("Token abc123", &why), "abc123");
  EXPECT_EQ(ParseAuthorization("Bearer abc123", &why), "abc123");
  EXPECT_EQ(ParseAuthorization("  Token   abc123  ", &why), "abc123");
  // The keyword matches in any case, as NetBox's does; tabs separate like spaces.
  EXPECT_EQ(ParseAuthorization("token abc123", &why), "abc123");
  EXPECT_EQ(ParseAuthorization("BEARER abc123", &why), "abc123");
  EXPECT_EQ(ParseAuthorization("bEaReR\tabc123", &why), "abc123");
}

TEST(ParseAuthorization, MissingOrOtherFormsSayWhy) {
  std::string why;
  EXPECT_EQ(ParseAuthorization("", &why), std::nullopt);
  EXPECT_EQ(why, "Authentication credentials were not provided.");
  why.clear();
  EXPECT_EQ(ParseAuthorization("   ", &why), std::nullopt);
  EXPECT_EQ(why, "Authentication credentials were not provided.");
  for (const char* bad :
       {"Basic dXNlcjpwdw==", "Tokens abc", "Token", "token ", "Bearerabc", "abc", "Token a b"}) {
    why.clear();
    EXPECT_EQ(ParseAuthorization(bad, &why), std::nullopt) << bad;
    EXPECT_EQ(why, "Invalid authorization header: expected \"Token <key>\" or \"Bearer <key>\".")
        << bad;
  }
}

TEST(ScopeAllows, EachScopeAndAccess) {
  for (Access a : {Access::kRead, Access::kWrite, Access::kIngest, Access::kCredentials})
    EXPECT_TRUE(ScopeAllows(TokenScope::kAdmin, a));
  EXPECT_TRUE(ScopeAllows(TokenScope::kReadOnly, Access::kRead));
  EXPECT_FALSE(ScopeAllows(TokenScope::kReadOnly, Access::kWrite));
  EXPECT_FALSE(ScopeAllows(TokenScope::kReadOnly, Access::kIngest));
  EXPECT_FALSE(ScopeAllows(TokenScope::kReadOnly, Access::kCredentials));
  EXPECT_TRUE(ScopeAllows(TokenScope::kIngestOnly, Access::kIngest));
  EXPECT_FALSE(ScopeAllows(TokenScope::kIngestOnly, Access::kRead));
  EXPECT_FALSE(ScopeAllows(TokenScope::kIngestOnly, Access::kWrite));
  EXPECT_FALSE(ScopeAllows(TokenScope::kIngestOnly, Access::kCredentials));
}

class TokenCacheTest : public testing::TempStoreTest {
 protected:
  NewApiToken Create(TokenScope scope, const std::string& name) {
    auto t = CreateApiToken(*store_, scope, name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : NewApiToken{};
  }
};

TEST_F(TokenCacheTest, ResolveKeyFindsTheTokenOfAKey) {
  NewApiToken admin = Create(TokenScope::kAdmin, "admin");
  NewApiToken viewer = Create(TokenScope::kReadOnly, "viewer");
  TokenCache cache(*store_, kTokenCacheTtl);
  std::string why;
  auto t = cache.ResolveKey(viewer.key, &why);
  ASSERT_TRUE(t.has_value()) << why;
  EXPECT_EQ(t->id, viewer.token.id);
  EXPECT_EQ(t->name, "viewer");
  EXPECT_EQ(t->scope, TokenScope::kReadOnly);
  auto a = cache.ResolveKey(admin.key, &why);
  ASSERT_TRUE(a.has_value()) << why;
  EXPECT_EQ(a->id, admin.token.id);
}

TEST_F(TokenCacheTest, ResolveKeyRefusesEmptyLongAndUnknownKeys) {
  NewApiToken admin = Create(TokenScope::kAdmin, "admin");
  TokenCache cache(*store_, kTokenCacheTtl);
  for (const std::string& bad : {std::string(), std::string(kMaxTokenKeyBytes + 1, 'a'),
                                 std::string(40, '0'), " " + admin.key, admin.key.substr(1)}) {
    std::string why;
    EXPECT_FALSE(cache.ResolveKey(bad, &why).has_value()) << bad;
    EXPECT_EQ(why, "Invalid token.") << bad;
  }
}

TEST_F(TokenCacheTest, ResolveReadsTheHeaderThenTheKey) {
  NewApiToken ingest = Create(TokenScope::kIngestOnly, "producer");
  TokenCache cache(*store_, kTokenCacheTtl);
  std::string why;
  auto t = cache.Resolve("Bearer " + ingest.key, &why);
  ASSERT_TRUE(t.has_value()) << why;
  EXPECT_EQ(t->id, ingest.token.id);
  EXPECT_TRUE(cache.Resolve(" Token " + ingest.key + " ", &why).has_value());
  EXPECT_FALSE(cache.Resolve(ingest.key, &why).has_value());
  EXPECT_EQ(why, "Invalid authorization header: expected \"Token <key>\" or \"Bearer <key>\".");
  EXPECT_FALSE(cache.Resolve("Token", &why).has_value());
  EXPECT_FALSE(cache.Resolve("Token 0123", &why).has_value());
  EXPECT_EQ(why, "Invalid token.");
  EXPECT_FALSE(cache.Resolve("", &why).has_value());
  EXPECT_EQ(why, "Authentication credentials were not provided.");
}

TEST_F(TokenCacheTest, RevokedTokensAreRefusedOnceTheCacheLetsGo) {
  NewApiToken admin = Create(TokenScope::kAdmin, "admin");
  NewApiToken viewer = Create(TokenScope::kReadOnly, "viewer");
  FakeClock clock;
  TokenCache cache(*store_, kTokenCacheTtl, clock);
  std::string why;
  ASSERT_TRUE(cache.ResolveKey(admin.key, &why).has_value());
  ASSERT_TRUE(cache.ResolveKey(viewer.key, &why).has_value());
  ASSERT_TRUE(store_->RevokeToken(admin.token.id).ok());
  ASSERT_TRUE(store_->RevokeToken(viewer.token.id).ok());

  // A verified token is trusted until its entry expires...
  clock.Advance(kTokenCacheTtl - std::chrono::seconds(1));
  EXPECT_TRUE(cache.ResolveKey(admin.key, &why).has_value());
  EXPECT_TRUE(cache.Resolve("Token " + viewer.key, &why).has_value());
  // ... or is forgotten.
  cache.Forget(viewer.token.id);
  EXPECT_FALSE(cache.Resolve("Token " + viewer.key, &why).has_value());
  EXPECT_EQ(why, "Invalid token.");
  EXPECT_TRUE(cache.ResolveKey(admin.key, &why).has_value());
  clock.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(cache.ResolveKey(admin.key, &why).has_value());
  EXPECT_EQ(why, "Invalid token.");
}

}  // namespace
}  // namespace herald
