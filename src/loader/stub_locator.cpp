#include "loader/stub_locator.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "util/error.hpp"

#ifndef ESPFAB_SOURCE_DIR
#define ESPFAB_SOURCE_DIR ""
#endif

namespace espfab::loader {
namespace {

std::filesystem::path executable_dir() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path{} : self.parent_path();
}

std::filesystem::path named_file(const std::filesystem::path& file, const char* what) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    throw BadInputError("loader.stub_missing", fmt::format("{} names {}, which is not a file", what, file.string()),
                        "give the path of an esptool stub JSON (e.g. esp32s3.json of the esptool-js package), or "
                        "--no-stub for the ROM loader");
  }
  return file;
}

}  // namespace

std::string StubChoice::describe() const {
  switch (origin) {
    case StubOrigin::Option: return "flasher stub " + path.string() + " (--stub)";
    case StubOrigin::Environment: return "flasher stub " + path.string() + " (ESPFAB_STUB)";
    case StubOrigin::InstalledPackage: return "flasher stub of the esptool-js package, " + path.string();
    case StubOrigin::Disabled: return "ROM loader (--no-stub)";
    case StubOrigin::NotFound: break;
  }
  return "ROM loader (no flasher stub found: run scripts/setup to install esptool-js, or give --stub FILE)";
}

std::vector<std::filesystem::path> default_stub_package_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const std::string source = ESPFAB_SOURCE_DIR; !source.empty()) dirs.emplace_back(source + "/.deps/esptool-js");
  if (const auto exe = executable_dir(); !exe.empty()) dirs.push_back(exe.parent_path() / "share/espfab/esptool-js");
  return dirs;
}

StubRequest stub_request(std::filesystem::path file, bool disabled) {
  StubRequest request;
  request.file = std::move(file);
  request.disabled = disabled;
  if (const char* env = std::getenv("ESPFAB_STUB"); env != nullptr && *env != '\0') request.environment = env;
  request.package_dirs = default_stub_package_dirs();
  return request;
}

StubChoice locate_stub(const StubRequest& request, const chip::ChipDescription& chip) {
  if (request.disabled) return {StubOrigin::Disabled, {}};
  if (!request.file.empty()) return {StubOrigin::Option, named_file(request.file, "--stub")};
  if (request.environment) return {StubOrigin::Environment, named_file(*request.environment, "ESPFAB_STUB")};
  const std::string name = std::string(chip.esptool_name) + ".json";
  for (const auto& dir : request.package_dirs) {
    const auto candidate = dir / "node_modules/esptool-js/lib/targets/stub_flasher" / name;
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error)) return {StubOrigin::InstalledPackage, candidate};
  }
  return {StubOrigin::NotFound, {}};
}

std::optional<StubImage> load_stub(const StubChoice& choice) {
  if (!choice.found()) return std::nullopt;
  return load_stub_file(choice.path);
}

}  // namespace espfab::loader
