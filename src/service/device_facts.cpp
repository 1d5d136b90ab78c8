#include "service/device_facts.hpp"

#include "loader/device_info.hpp"
#include "util/error.hpp"

namespace espfab::service {

ChipIdentity read_chip_identity(loader::Session& session) {
  ChipIdentity identity;
  identity.chip = std::string(session.description().name);
  identity.mac = read_mac(session);
  const auto& security = session.chip().security;
  identity.chip_id = security && security->chip_id ? *security->chip_id : session.description().image_chip_id;
  identity.stub = session.stub_running();
  identity.secure_download_mode = session.chip().secure_download_mode;
  return identity;
}

std::string read_mac(loader::Session& session) {
  return loader::format_mac(loader::read_mac(session.client(), session.description()));
}

FlashIdentity read_flash_identity(loader::Session& session) { return {session.flash_id(), session.flash_size()}; }

loader::SecurityInfo read_security_info(loader::Session& session) {
  const auto& detected = session.chip();
  if (!detected.security) {
    throw DeviceStatusError("cli.no_security_info", "the chip did not answer GET_SECURITY_INFO",
                            "reset the chip and try again");
  }
  return *detected.security;
}

}  // namespace espfab::service
