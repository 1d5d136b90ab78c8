// The [security] and [images] sections of a station profile (TOML), read into the planner's
// SecurityProfile and the signed images the plan must accept. `espfab efuse plan|burn --profile`
// use it; the station reads the same sections. Unknown keys, bad values and missing files are all
// reported at once, each with file:line:column and the fix.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "security/burn_plan.hpp"

namespace espfab::security {

struct SecurityProfileFile {
  SecurityProfile profile;
  // [images]: the signed bootloader and production app (paths relative to the profile file).
  std::optional<std::filesystem::path> bootloader;
  std::optional<std::filesystem::path> app;
};

// Throws BadInputError("security.profile") listing every problem, one per line.
SecurityProfileFile load_security_profile(const std::filesystem::path& path);

}  // namespace espfab::security
