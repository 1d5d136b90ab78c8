// The erase commands' safety check (as esptool's): refuse to erase a chip with flash encryption
// or Secure Boot on unless --force, because its firmware could not be written back in plain text.
#pragma once

#include "loader/session.hpp"

namespace espfab::cli {

void check_erase_allowed(const loader::Session& session, bool force);

}  // namespace espfab::cli
