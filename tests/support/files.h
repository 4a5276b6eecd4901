// Files in tests: read and write whole files, and find the data files under tests/data/ in the
// source tree (the conformance corpora).
#pragma once

#include <string>
#include <string_view>

namespace herald::testing {

// The whole file as bytes; "" when it is missing or unreadable.
std::string ReadFile(const std::string& path);

// Writes `text` to `path` (created or truncated); false when it cannot.
bool WriteFile(const std::string& path, std::string_view text);

// The path of tests/data/<name> in the source tree.
std::string DataPath(std::string_view name);

// The source tree's root (for files outside tests/data/, e.g. config/herald.example.toml).
std::string SourcePath(std::string_view relative);

}  // namespace herald::testing
