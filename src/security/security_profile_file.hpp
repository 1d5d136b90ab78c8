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
  // What the profile turned off on purpose ("secure_boot = false", "flash_encryption = false"):
  // shown as a warning on every run and kept in every device record.
  std::vector<std::string> opt_outs;
};

// Secure Boot and flash encryption are never off by omission: a profile must name its Secure Boot
// keys or say `secure_boot = false`, and give `flash_encryption` a mode or say
// `flash_encryption = false`; an empty key list is an error, not a silent "off".
// Throws BadInputError("security.profile") listing every problem, one per line.
SecurityProfileFile load_security_profile(const std::filesystem::path& path);

}  // namespace espfab::security
