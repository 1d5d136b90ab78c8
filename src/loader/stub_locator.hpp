// Which flasher stub a connection uploads. espfab ships no stub: it uses the one in Espressif's
// esptool-js npm package, which scripts/setup installs into .deps/esptool-js (ignored by git). The
// search, first match wins (docs/cli.md, "The flasher stub"):
//   1. --stub FILE (a `stub` key in a station profile);
//   2. the ESPFAB_STUB environment variable (a file);
//   3. the installed package: <dir>/node_modules/esptool-js/lib/targets/stub_flasher/<chip>.json for
//      each package directory (this checkout's .deps/esptool-js, then ../share/espfab/esptool-js
//      beside the executable's directory);
//   4. none: the ROM loader.
// --no-stub (`stub = "none"`) skips the search: the ROM loader. A named file that is missing is an
// error, never a silent fall-back to the ROM loader.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chip/chip_description.hpp"
#include "loader/stub.hpp"

namespace espfab::loader {

enum class StubOrigin { Option, Environment, InstalledPackage, NotFound, Disabled };

struct StubRequest {
  std::filesystem::path file;                       // --stub FILE; empty: search
  bool disabled = false;                            // --no-stub
  std::optional<std::string> environment;           // ESPFAB_STUB's value, when set
  std::vector<std::filesystem::path> package_dirs;  // where esptool-js may be installed, in order
};

struct StubChoice {
  StubOrigin origin = StubOrigin::NotFound;
  std::filesystem::path path;  // the JSON file, for Option/Environment/InstalledPackage
  // "esptool-js package (/…/esp32s3.json)", "ROM loader (--no-stub)", …
  std::string describe() const;
  bool found() const { return !path.empty(); }
};

// The package directories espfab searches: this source tree's .deps/esptool-js (where
// scripts/setup installs it), then <executable dir>/../share/espfab/esptool-js.
std::vector<std::filesystem::path> default_stub_package_dirs();

// The request with ESPFAB_STUB read from the environment and the default package directories.
StubRequest stub_request(std::filesystem::path file = {}, bool disabled = false);

// Applies the search. Throws BadInputError (loader.stub_missing) when --stub or ESPFAB_STUB names a
// file that does not exist.
StubChoice locate_stub(const StubRequest& request, const chip::ChipDescription& chip);

// The chosen stub, read and checked (loader.bad_stub); nullopt for the ROM loader.
std::optional<StubImage> load_stub(const StubChoice& choice);

}  // namespace espfab::loader
