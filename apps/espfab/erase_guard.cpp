#include "erase_guard.hpp"

#include "util/error.hpp"

namespace espfab::cli {

void check_erase_allowed(const loader::Session& session, bool force) {
  const auto& security = session.chip().security;
  if (force || !security) return;
  if (security->flash_encryption_enabled() || security->secure_boot_enabled()) {
    throw PolicyRefusalError(
        "cli.erase_refused", "flash encryption or Secure Boot is active; erasing is refused as a safety measure",
        "the device could not be re-flashed with plain-text firmware; pass --force if you are sure");
  }
}

}  // namespace espfab::cli
