#include "store_fixture.h"

#include "auth/auth.h"

namespace herald::testing {

void TempStoreTest::OpenTempStore() {
  ASSERT_TRUE(dir_.ok()) << "cannot create a temporary directory";
  auto s = OpenStore("sqlite://" + db_path());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(*s);
}

void StoreWithTokensTest::OpenStoreWithTokens() {
  ASSERT_NO_FATAL_FAILURE(OpenTempStore());
  admin_key_ = MakeToken(TokenScope::kAdmin);
  ro_key_ = MakeToken(TokenScope::kReadOnly);
  ingest_key_ = MakeToken(TokenScope::kIngestOnly);
}

void TempStoreTest::CloseStore() {
  if (store_) store_->Close();
  store_.reset();
}

std::string StoreWithTokensTest::MakeToken(TokenScope scope) {
  auto created = CreateApiToken(*store_, scope, TokenScopeName(scope));
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? created->key : std::string();
}

}  // namespace herald::testing
