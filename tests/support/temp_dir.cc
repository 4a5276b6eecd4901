#include "temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>
#include <utility>

namespace herald::testing {

std::string MakeTempDir(std::string_view prefix) {
  std::error_code ec;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
  if (ec) tmp = "/tmp";
  std::string tmpl = (tmp / ("herald-" + std::string(prefix) + "-XXXXXX")).string();
  return mkdtemp(tmpl.data()) ? tmpl : std::string();
}

TempDir::TempDir(std::string_view prefix) : path_(MakeTempDir(prefix)) {}

TempDir::~TempDir() { Remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

std::string TempDir::File(std::string_view name) const { return path_ + "/" + std::string(name); }

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace herald::testing
