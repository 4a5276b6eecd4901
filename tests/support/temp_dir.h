// Temporary directories for tests: a fresh directory under $TMPDIR per test (or per fixture),
// removed with everything in it when its owner goes away, so no test depends on the files of
// another and nothing is left behind.
#pragma once

#include <string>
#include <string_view>

namespace herald::testing {

// Creates a fresh directory "<tmp>/herald-<prefix>-XXXXXX" (mkdtemp) and returns its path; ""
// when it cannot be created. The caller removes it (or use TempDir).
std::string MakeTempDir(std::string_view prefix = "test");

// A fresh temporary directory, removed recursively on destruction. Move-only.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory; empty when it could not be created (tests ASSERT_TRUE(dir.ok())).
  const std::string& path() const { return path_; }
  bool ok() const { return !path_.empty(); }
  // path() + "/" + name.
  std::string File(std::string_view name) const;
  // Removes the directory now (the destructor then does nothing).
  void Remove();

 private:
  std::string path_;
};

}  // namespace herald::testing
