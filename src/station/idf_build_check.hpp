// Does an ESP-IDF build fit the station profile? The build's sdkconfig decides what its bootloader
// and app do on a chip; the profile decides what the station burns. When the two disagree the chip
// ends locked with firmware that cannot run (Secure Boot on, app unsigned) or with a bootloader
// that burns eFuses on its own (flash encryption enabled in the build, not planned by the station).
// Every disagreement names the sdkconfig key (without the CONFIG_ prefix, as in sdkconfig.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/idf_build.hpp"
#include "security/flash_encryption.hpp"

namespace espfab::station {

// What the profile says, for the comparison.
struct IdfBuildExpectations {
  bool secure_boot = false;                                // [security] secure_boot_keys given
  std::optional<security::XtsKeyLength> flash_encryption;  // nullopt: flash encryption off
  bool flash_encryption_release = true;
  std::string flash_size;                       // [images] flash_size, "" = not checked
  std::optional<std::uint32_t> secure_version;  // [images] secure_version, nullopt = not checked
};

struct IdfBuildProblem {
  std::string key;  // the sdkconfig key ("SECURE_BOOT_V2_ENABLED"), or "flasher_args.json" for its fields
  std::string message;
  std::string hint;
};

// Every contradiction between `build` and `expected`; empty when they agree. `build_role` names
// the build in messages ("production build", "factory-test build"). A factory-test build is only
// checked for the chip and flash size: it runs before any eFuse is burned.
std::vector<IdfBuildProblem> check_idf_build(const image::IdfBuild& build, const IdfBuildExpectations& expected,
                                             const std::string& build_role, bool factory_test = false);

}  // namespace espfab::station
