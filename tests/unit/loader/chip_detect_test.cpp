#include "loader/chip_detect.hpp"

#include "chip/known_chips.hpp"

#include <gtest/gtest.h>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

struct ChipDetectTest : ::testing::Test {
  FakeTransport link;
  ScriptedDevice device{link};
  LoaderClient client{link};

  std::string refusal() {
    try {
      detect_chip(client);
    } catch (const PolicyRefusalError& e) {
      EXPECT_NE(e.hint().find("nothing was written"), std::string::npos);
      return e.code() + ": " + e.message();
    }
    return "accepted";
  }
};

TEST_F(ChipDetectTest, AcceptsEsp32s3BySecurityInfo) {
  const auto detected = detect_chip(client);
  EXPECT_EQ(detected.description->name, "ESP32-S3");
  ASSERT_TRUE(detected.security);
  EXPECT_EQ(detected.security->chip_id, 9u);
  EXPECT_FALSE(detected.secure_download_mode);
}

TEST_F(ChipDetectTest, RefusesOtherChipByIdNamingIt) {
  device.chip_id = 5;
  EXPECT_EQ(refusal(), "loader.wrong_chip: found ESP32-C3 (chip id 5); this station only flashes ESP32-S3");
}

TEST_F(ChipDetectTest, FallsBackToMagicWhenSecurityInfoIsUnsupported) {
  device.security_info_supported = false;
  EXPECT_EQ(detect_chip(client).description->name, "ESP32-S3");
  device.magic = 0x00F01D83;
  EXPECT_EQ(refusal(), "loader.wrong_chip: found ESP32 (magic value 0x00f01d83); this station only flashes ESP32-S3");
}

TEST_F(ChipDetectTest, UnknownChipIsRefused) {
  device.chip_id = 77;
  EXPECT_EQ(refusal().rfind("loader.unknown_chip", 0), 0u);
  device.security_info_supported = false;
  device.magic = 0x12345678;
  EXPECT_NE(refusal().find("0x12345678"), std::string::npos);
}

TEST(KnownChips, LookupsByIdAndMagic) {
  EXPECT_EQ(chip::find_chip_by_id(13)->name, "ESP32-C6");
  EXPECT_EQ(chip::find_chip_by_magic(0x1B31506F)->name, "ESP32-C3");
  EXPECT_EQ(chip::find_chip_by_magic(0), nullptr);
  EXPECT_EQ(chip::find_chip_by_id(99), nullptr);
}

}  // namespace
}  // namespace espfab::loader
