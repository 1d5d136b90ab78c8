#include "station/efuse_snapshot.hpp"

#include <fmt/format.h>

#include <array>

#include "chip/esp32s3.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

constexpr std::array<const char*, 24> kSecurityFields{"WR_DIS",
                                                      "RD_DIS",
                                                      "SPI_BOOT_CRYPT_CNT",
                                                      "SECURE_BOOT_EN",
                                                      "SECURE_BOOT_AGGRESSIVE_REVOKE",
                                                      "SECURE_BOOT_KEY_REVOKE0",
                                                      "SECURE_BOOT_KEY_REVOKE1",
                                                      "SECURE_BOOT_KEY_REVOKE2",
                                                      "KEY_PURPOSE_0",
                                                      "KEY_PURPOSE_1",
                                                      "KEY_PURPOSE_2",
                                                      "KEY_PURPOSE_3",
                                                      "KEY_PURPOSE_4",
                                                      "KEY_PURPOSE_5",
                                                      "DIS_PAD_JTAG",
                                                      "DIS_USB_JTAG",
                                                      "SOFT_DIS_JTAG",
                                                      "DIS_DOWNLOAD_ICACHE",
                                                      "DIS_DOWNLOAD_DCACHE",
                                                      "DIS_DOWNLOAD_MANUAL_ENCRYPT",
                                                      "DIS_DIRECT_BOOT",
                                                      "ENABLE_SECURITY_DOWNLOAD",
                                                      "DIS_DOWNLOAD_MODE",
                                                      "DIS_USB_SERIAL_JTAG"};

}  // namespace

nlohmann::json efuse_to_json(const security::EfuseImage& image) {
  nlohmann::json blocks = nlohmann::json::array();
  for (unsigned b = 0; b < chip::kEsp32s3.efuse.blocks.size(); ++b) {
    nlohmann::json words = nlohmann::json::array();
    for (const auto word : image.block(b)) words.push_back(fmt::format("{:08x}", word));
    blocks.push_back(words);
  }
  nlohmann::json repeat = nlohmann::json::array();
  for (const auto word : image.repeat_err) repeat.push_back(word);
  return {{"blocks", blocks}, {"repeat_err", repeat}, {"rs_err0", image.rs_err0}, {"rs_err1", image.rs_err1}};
}

security::EfuseImage efuse_from_json(const nlohmann::json& json) {
  security::EfuseImage image;
  try {
    const auto& blocks = json.at("blocks");
    if (blocks.size() != chip::kEsp32s3.efuse.blocks.size()) throw std::runtime_error("block count");
    for (unsigned b = 0; b < blocks.size(); ++b) {
      auto& words = image.block(b);
      if (blocks[b].size() != words.size()) throw std::runtime_error("word count");
      for (std::size_t w = 0; w < words.size(); ++w) {
        words[w] = static_cast<std::uint32_t>(std::stoul(blocks[b][w].get<std::string>(), nullptr, 16));
      }
    }
    for (std::size_t i = 0; i < image.repeat_err.size(); ++i) {
      image.repeat_err[i] = json.at("repeat_err").at(i).get<std::uint32_t>();
    }
    image.rs_err0 = json.at("rs_err0").get<std::uint32_t>();
    image.rs_err1 = json.at("rs_err1").get<std::uint32_t>();
  } catch (const std::exception& error) {
    throw BadInputError("station.efuse_snapshot",
                        fmt::format("an eFuse snapshot in the station DB is damaged ({})", error.what()),
                        "the station cannot resume this device safely: have an engineer inspect it");
  }
  return image;
}

nlohmann::json efuse_security_fields(const security::EfuseImage& image) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* name : kSecurityFields) out[name] = image.field_uint(name);
  return out;
}

}  // namespace espfab::station
