#include "files.h"

#include <fstream>
#include <sstream>

namespace herald::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

std::string SourcePath(std::string_view relative) {
  return std::string(HERALD_SOURCE_DIR) + "/" + std::string(relative);
}

std::string DataPath(std::string_view name) {
  return SourcePath("tests/data/" + std::string(name));
}

}  // namespace herald::testing
