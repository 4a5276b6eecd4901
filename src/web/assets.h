// The web UI's embedded files: templates and static assets compiled into the binary.
//
// cmake/embed.cmake generates the definition of EmbeddedAssets() from src/web/templates/* and
// src/web/static/* at build time, so `herald serve` needs nothing on disk to serve its UI.
#pragma once

#include <string_view>
#include <vector>

namespace herald::web {

struct Asset {
  std::string_view path;     // relative to src/web, e.g. "templates/base.html", "static/app.css"
  std::string_view content;  // the file's bytes (static storage)
};

// Every embedded file, sorted by path. Thread-safe; the data lives for the whole program.
const std::vector<Asset>& EmbeddedAssets();

// The asset at `path`, or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace herald::web
