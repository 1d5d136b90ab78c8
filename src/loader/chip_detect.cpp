#include "loader/chip_detect.hpp"

#include <fmt/format.h>

#include "chip/known_chips.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

[[noreturn]] void refuse(const chip::ChipDescription& expected, std::string_view found, std::string_view how) {
  throw PolicyRefusalError("loader.wrong_chip",
                           fmt::format("found {} ({}); this station only flashes {}", found, how, expected.name),
                           fmt::format("put an {} module in the fixture; nothing was written", expected.name));
}

[[noreturn]] void refuse_unknown(const chip::ChipDescription& expected, std::string_view how) {
  throw PolicyRefusalError("loader.unknown_chip",
                           fmt::format("the chip is not an {} and not a known Espressif chip ({})", expected.name, how),
                           fmt::format("put an {} module in the fixture; nothing was written", expected.name));
}

}  // namespace

DetectedChip detect_chip(LoaderClient& client, const chip::ChipDescription& expected) {
  const auto logger = log::get("loader");
  DetectedChip detected;
  try {
    const Reply reply = client.command(commands::get_security_info(), 2);
    detected.security = decode_security_info(reply.result);
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::DeviceStatus && error.kind() != ErrorKind::Protocol) throw;
    logger->debug("GET_SECURITY_INFO not usable ({}); reading the magic register", error.message());
  }
  if (detected.security && detected.security->secure_download_enabled()) detected.secure_download_mode = true;

  if (detected.security && detected.security->chip_id) {
    const std::uint32_t id = *detected.security->chip_id;
    if (id == expected.security_info_chip_id) {
      detected.description = &expected;
      // esptool's dummy READ_REG: refused in Secure Download Mode.
      try {
        client.read_reg(expected.registers.chip_detect_magic_reg);
      } catch (const DeviceStatusError& error) {
        if (error.code() != "loader.unsupported_command") throw;
        detected.secure_download_mode = true;
      }
      return detected;
    }
    if (const auto* known = chip::find_chip_by_id(id)) refuse(expected, known->name, fmt::format("chip id {}", id));
    refuse_unknown(expected, fmt::format("chip id {}", id));
  }

  const std::uint32_t magic = client.read_reg(expected.registers.chip_detect_magic_reg);
  if (expected.has_chip_detect_magic(magic)) {
    detected.description = &expected;
    return detected;
  }
  const std::string how = fmt::format("magic value 0x{:08x}", magic);
  if (const auto* known = chip::find_chip_by_magic(magic)) refuse(expected, known->name, how);
  refuse_unknown(expected, how);
}

}  // namespace espfab::loader
