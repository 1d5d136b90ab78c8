// The dashboard page (src/web/page: HTML, CSS, JavaScript; no build step), embedded into the
// binary at build time by cmake/embed_files.cmake: nothing to install beside espfab.
#pragma once

#include <optional>
#include <string_view>

namespace espfab::web {

struct PageAsset {
  std::string_view path;  // "/", "/dashboard.css", "/dashboard.js"
  std::string_view content_type;
  std::string_view body;
};

// The asset served at `path`, or nullopt.
std::optional<PageAsset> find_page_asset(std::string_view path);

}  // namespace espfab::web
