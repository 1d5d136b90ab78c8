#include "flash/verify.hpp"

#include <fmt/format.h>

#include <cctype>

#include "util/error.hpp"

namespace espfab::flash {

std::string device_md5_hex(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size) {
  const auto reply = client.command(loader::commands::spi_flash_md5(address, size), 2);
  if (reply.result.size() == 16) return to_hex(reply.result);
  if (reply.result.size() == 32) {
    std::string text(reply.result.begin(), reply.result.end());
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  throw ProtocolError("flash.bad_md5_reply",
                      fmt::format("SPI_FLASH_MD5 returned {} bytes, expected 16 or 32", reply.result.size()),
                      "reset the chip and connect again");
}

}  // namespace espfab::flash
