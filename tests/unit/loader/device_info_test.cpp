#include "loader/device_info.hpp"

#include <gtest/gtest.h>

#include "chip/esp32s3.hpp"
#include "loader/security_info.hpp"
#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

TEST(Mac, SpecExampleAndHighBitsIgnored) {
  EXPECT_EQ(format_mac(mac_from_efuse_words(0xA1001122, 0x00007CDF)), "7c:df:a1:00:11:22");
  EXPECT_EQ(format_mac(mac_from_efuse_words(0xA1001122, 0xFFFF7CDF)), "7c:df:a1:00:11:22");
}

TEST(Mac, ReadFromEfuseRegisters) {
  FakeTransport link;
  ScriptedDevice device(link);
  LoaderClient client(link);
  EXPECT_EQ(format_mac(read_mac(client, chip::kEsp32s3)), "7c:df:a1:00:11:22");
}

TEST(FlashId, RdidThroughSpi1RegistersAsEsptoolDoes) {
  FakeTransport link;
  ScriptedDevice device(link);
  LoaderClient client(link);
  device.registers[0x60002018] = 0x11;  // USER, USER2 saved and restored
  device.registers[0x60002020] = 0x22;
  EXPECT_EQ(read_flash_id(client, chip::kEsp32s3), 0x1640C8u);
  EXPECT_EQ(device.registers[0x60002028], 23u);  // MISO_DLEN
  EXPECT_EQ(device.registers[0x60002018], 0x11u);
  EXPECT_EQ(device.registers[0x60002020], 0x22u);
  // The writes in order: MISO_DLEN, USER, USER2, W0, CMD, then the two restores.
  std::vector<std::uint32_t> written;
  for (const auto& r : device.requests)
    if (r.opcode == 0x09) written.push_back(load_le32(r.data, 0));
  EXPECT_EQ(written, (std::vector<std::uint32_t>{0x60002028, 0x60002018, 0x60002020, 0x60002058, 0x60002000, 0x60002018,
                                                 0x60002020}));
  std::vector<std::uint32_t> values;
  for (const auto& r : device.requests)
    if (r.opcode == 0x09) values.push_back(load_le32(r.data, 4));
  EXPECT_EQ(values[1], 0x90000000u);
  EXPECT_EQ(values[2], 0x7000009Fu);
  EXPECT_EQ(values[4], 0x00040000u);
}

TEST(FlashId, SizeFromCapacityCode) {
  EXPECT_EQ(flash_size_from_id(0x1640C8), 4u * 1024 * 1024);
  EXPECT_EQ(flash_size_from_id(0x1840EF), 16u * 1024 * 1024);
  EXPECT_EQ(flash_size_from_id(0x3925C2), 32u * 1024 * 1024);
  EXPECT_FALSE(flash_size_from_id(0xFFFFFF));
  EXPECT_FALSE(flash_size_from_id(0));
}

TEST(SecurityInfo, DecodesTwentyBytes) {
  Bytes raw = from_hex("c1000000 07 04000000000000 09000000 00000000");
  const auto info = decode_security_info(raw);
  EXPECT_EQ(info.flags, 0xC1u);
  EXPECT_TRUE(info.secure_boot_enabled());
  EXPECT_TRUE(info.flash_encryption_enabled());  // 7 = three bits set
  EXPECT_EQ(info.key_purposes[0], 4);
  EXPECT_EQ(info.chip_id, 9u);
  EXPECT_EQ(info.flag_names(), (std::vector<std::string_view>{"SECURE_BOOT_EN", "SOFT_DIS_JTAG", "HARD_DIS_JTAG"}));
}

TEST(SecurityInfo, TwelveByteFormHasNoChipId) {
  const auto info = decode_security_info(Bytes(12, 0));
  EXPECT_FALSE(info.chip_id);
  EXPECT_FALSE(info.flash_encryption_enabled());
  EXPECT_THROW(decode_security_info(Bytes(16, 0)), ProtocolError);
}

}  // namespace
}  // namespace espfab::loader
