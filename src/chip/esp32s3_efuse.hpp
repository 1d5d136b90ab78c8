// ESP32-S3 eFuse controller facts as data: register window, block table, which BLOCK0 bits each
// WR_DIS bit protects, RS error fields, key purposes. Sources: esptool v4.8.1
// espefuse/efuse/esp32s3/mem_definition.py, espefuse/efuse_defs/esp32s3.yaml (the per-bit masks
// below are the yaml's BLOCK0 fields grouped by their wr_dis bit), docs/efuse-and-security-facts.md §1-§5,
// §8.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "chip/efuse_layout.hpp"

namespace espfab::chip::esp32s3_efuse {

inline constexpr std::uint32_t kBase = 0x60007000;   // DR_REG_EFUSE_BASE
inline constexpr std::uint32_t kWindowSize = 0x200;  // register window = virtual eFuse file size

// Offsets from kBase (register names as in Espressif's sources).
inline constexpr std::uint32_t EFUSE_PGM_DATA0_REG = 0x000;     // PGM_DATA0..7 at 0x000..0x01C
inline constexpr std::uint32_t EFUSE_CHECK_VALUE0_REG = 0x020;  // CHECK_VALUE0..2 at 0x020..0x028
inline constexpr std::uint32_t EFUSE_RD_WR_DIS_REG = 0x02C;     // BLOCK0 word 0
inline constexpr std::uint32_t EFUSE_RD_REPEAT_DATA0_REG = 0x030;
inline constexpr std::uint32_t EFUSE_RD_REPEAT_ERR0_REG = 0x17C;  // ERR0..4 at 0x17C..0x18C
inline constexpr std::uint32_t EFUSE_RD_RS_ERR0_REG = 0x1C0;
inline constexpr std::uint32_t EFUSE_RD_RS_ERR1_REG = 0x1C4;
inline constexpr std::uint32_t EFUSE_CLK_REG = 0x1C8;
inline constexpr std::uint32_t EFUSE_CONF_REG = 0x1CC;
inline constexpr std::uint32_t EFUSE_STATUS_REG = 0x1D0;
inline constexpr std::uint32_t EFUSE_CMD_REG = 0x1D4;
inline constexpr std::uint32_t EFUSE_DAC_CONF_REG = 0x1E8;
inline constexpr std::uint32_t EFUSE_RD_TIM_CONF_REG = 0x1EC;
inline constexpr std::uint32_t EFUSE_WR_TIM_CONF1_REG = 0x1F4;
inline constexpr std::uint32_t EFUSE_WR_TIM_CONF2_REG = 0x1F8;
inline constexpr std::uint32_t EFUSE_DATE_REG = 0x1FC;

inline constexpr std::uint32_t kWriteOpCode = 0x5A5A;  // EFUSE_CONF_REG before PGM_CMD
inline constexpr std::uint32_t kReadOpCode = 0x5AA5;   // EFUSE_CONF_REG before READ_CMD
inline constexpr std::uint32_t kReadCmd = 0x1;         // EFUSE_CMD_REG bit 0
inline constexpr std::uint32_t kPgmCmd = 0x2;          // EFUSE_CMD_REG bit 1; block number in [5:2]
inline constexpr unsigned kPgmBlockShift = 2;
inline constexpr std::uint32_t kPgmBlockMask = 0xF;

inline constexpr unsigned kPgmDataWords = 8;  // one burn unit: 32 bytes through PGM_DATA0..7
inline constexpr unsigned kCheckWords = 3;    // 12 RS check bytes (blocks 1..10)
inline constexpr unsigned kRsDataBytes = 32;
inline constexpr unsigned kRsCheckBytes = 12;

using BlockInfo = EfuseBlock;

inline constexpr std::size_t kBlockCount = 11;
// clang-format off
inline constexpr std::array<BlockInfo, kBlockCount> kBlocks{{
    {"BLOCK0", "", 0x02C, 6, std::nullopt, std::nullopt, false, 0, 0, std::nullopt},
    {"MAC_SPI_8M_0", "BLOCK1", 0x044, 6, 20, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 0, RsFailBit{EFUSE_RD_RS_ERR0_REG, 3}},
    {"BLOCK_SYS_DATA", "BLOCK2", 0x05C, 8, 21, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 4, RsFailBit{EFUSE_RD_RS_ERR0_REG, 7}},
    {"BLOCK_USR_DATA", "BLOCK3", 0x07C, 8, 22, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 8, RsFailBit{EFUSE_RD_RS_ERR0_REG, 11}},
    {"BLOCK_KEY0", "BLOCK4", 0x09C, 8, 23, 0, true, EFUSE_RD_RS_ERR0_REG, 12, RsFailBit{EFUSE_RD_RS_ERR0_REG, 15}},
    {"BLOCK_KEY1", "BLOCK5", 0x0BC, 8, 24, 1, true, EFUSE_RD_RS_ERR0_REG, 16, RsFailBit{EFUSE_RD_RS_ERR0_REG, 19}},
    {"BLOCK_KEY2", "BLOCK6", 0x0DC, 8, 25, 2, true, EFUSE_RD_RS_ERR0_REG, 20, RsFailBit{EFUSE_RD_RS_ERR0_REG, 23}},
    {"BLOCK_KEY3", "BLOCK7", 0x0FC, 8, 26, 3, true, EFUSE_RD_RS_ERR0_REG, 24, RsFailBit{EFUSE_RD_RS_ERR0_REG, 27}},
    {"BLOCK_KEY4", "BLOCK8", 0x11C, 8, 27, 4, true, EFUSE_RD_RS_ERR0_REG, 28, RsFailBit{EFUSE_RD_RS_ERR0_REG, 31}},
    {"BLOCK_KEY5", "BLOCK9", 0x13C, 8, 28, 5, true, EFUSE_RD_RS_ERR1_REG, 0, RsFailBit{EFUSE_RD_RS_ERR1_REG, 3}},
    {"BLOCK_SYS_DATA2", "BLOCK10", 0x15C, 8, 29, 6, true, EFUSE_RD_RS_ERR1_REG, 4, RsFailBit{EFUSE_RD_RS_ERR1_REG, 7}},
}};
// clang-format on
inline constexpr unsigned kBlock0Words = 6;
inline constexpr unsigned kBlockKey0 = 4;
inline constexpr unsigned kKeyBlockCount = 6;

// BLOCK0 bits each WR_DIS bit protects (6 words: WR_DIS, REPEAT_DATA0..4). Bits of BLOCK0 that no
// yaml field with a wr_dis bit covers (WR_DIS itself, reserved fields) are never protected.
using Block0Mask = std::array<std::uint32_t, kBlock0Words>;
inline constexpr std::array<Block0Mask, 32> kBlock0WriteProtect{{
    /*0*/ {0, 0x0000007F, 0, 0, 0, 0},
    /*1*/ {0, 0x00000080, 0, 0, 0, 0},
    /*2*/ {0, 0x0018FF00, 0, 0x03C00000, 0, 0},
    /*3*/ {0, 0xE0000000, 0x0003FFFF, 0, 0, 0},
    /*4*/ {0, 0, 0x001C0000, 0, 0, 0},
    /*5*/ {0, 0, 0x00200000, 0, 0, 0},
    /*6*/ {0, 0, 0x00400000, 0, 0, 0},
    /*7*/ {0, 0, 0x00800000, 0, 0, 0},
    /*8*/ {0, 0, 0x0F000000, 0, 0, 0},
    /*9*/ {0, 0, 0xF0000000, 0, 0, 0},
    /*10*/ {0, 0, 0, 0x0000000F, 0, 0},
    /*11*/ {0, 0, 0, 0x000000F0, 0, 0},
    /*12*/ {0, 0, 0, 0x00000F00, 0, 0},
    /*13*/ {0, 0, 0, 0x0000F000, 0, 0},
    /*14*/ {0, 0, 0, 0, 0, 0},
    /*15*/ {0, 0, 0, 0x00100000, 0, 0},
    /*16*/ {0, 0, 0, 0x00200000, 0, 0},
    /*17*/ {0, 0, 0, 0x0C000000, 0x40000000, 0},
    /*18*/ {0, 0, 0, 0xF0000000, 0x3FFFFFFF, 0},
    /*19*/ {0, 0, 0, 0, 0x80000000, 0x00000003},
    /*20*/ {0, 0, 0, 0, 0, 0},
    /*21*/ {0, 0, 0, 0, 0, 0},
    /*22*/ {0, 0, 0, 0, 0, 0},
    /*23*/ {0, 0, 0, 0, 0, 0},
    /*24*/ {0, 0, 0, 0, 0, 0},
    /*25*/ {0, 0, 0, 0, 0, 0},
    /*26*/ {0, 0, 0, 0, 0, 0},
    /*27*/ {0, 0, 0, 0, 0, 0},
    /*28*/ {0, 0, 0, 0, 0, 0},
    /*29*/ {0, 0, 0, 0, 0, 0},
    /*30*/ {0, 0x1FE00000, 0, 0, 0, 0},
    /*31*/ {0, 0x00070000, 0, 0, 0, 0},
}};

// BLOCK0 fields the ROM and the emulator act on: (word, shift, width). Word 0 = WR_DIS.
using Field = EfuseBitField;
inline constexpr Field RD_DIS{1, 0, 7};
inline constexpr Field SOFT_DIS_JTAG{1, 16, 3};
inline constexpr Field DIS_PAD_JTAG{1, 19, 1};
inline constexpr Field DIS_DOWNLOAD_MANUAL_ENCRYPT{1, 20, 1};
inline constexpr Field DIS_USB_OTG{1, 13, 1};
inline constexpr Field DIS_USB_SERIAL_JTAG{3, 23, 1};
inline constexpr Field USB_PHY_SEL{3, 25, 1};
inline constexpr Field DIS_DOWNLOAD_ICACHE{1, 10, 1};
inline constexpr Field DIS_DOWNLOAD_DCACHE{1, 11, 1};
inline constexpr Field SPI_BOOT_CRYPT_CNT{2, 18, 3};
inline constexpr Field SECURE_BOOT_KEY_REVOKE0{2, 21, 1};  // REVOKE1/2 follow at 22/23
inline constexpr Field KEY_PURPOSE_0{2, 24, 4};
inline constexpr Field KEY_PURPOSE_1{2, 28, 4};
inline constexpr Field KEY_PURPOSE_2{3, 0, 4};
inline constexpr Field KEY_PURPOSE_3{3, 4, 4};
inline constexpr Field KEY_PURPOSE_4{3, 8, 4};
inline constexpr Field KEY_PURPOSE_5{3, 12, 4};
inline constexpr Field SECURE_BOOT_EN{3, 20, 1};
inline constexpr Field SECURE_BOOT_AGGRESSIVE_REVOKE{3, 21, 1};
inline constexpr Field DIS_DOWNLOAD_MODE{4, 0, 1};
inline constexpr Field ENABLE_SECURITY_DOWNLOAD{4, 5, 1};

inline constexpr std::array<Field, kKeyBlockCount> kKeyPurposeFields{KEY_PURPOSE_0, KEY_PURPOSE_1, KEY_PURPOSE_2,
                                                                     KEY_PURPOSE_3, KEY_PURPOSE_4, KEY_PURPOSE_5};

// KEY_PURPOSE_n values (EfuseKeyPurposeField.KEY_PURPOSES).
enum class KeyPurpose : std::uint8_t {
  User = 0,
  Reserved = 1,
  XtsAes256Key1 = 2,
  XtsAes256Key2 = 3,
  XtsAes128Key = 4,
  HmacDownAll = 5,
  HmacDownJtag = 6,
  HmacDownDigitalSignature = 7,
  HmacUp = 8,
  SecureBootDigest0 = 9,
  SecureBootDigest1 = 10,
  SecureBootDigest2 = 11,
};

// Every hand-written BLOCK0 constant above under its yaml name; chip_validation.cpp checks each
// against the generated field table (esp32s3_efuse_fields.cpp).
inline constexpr std::array<NamedEfuseBitField, 21> kNamedFields{{
    {"RD_DIS", RD_DIS},
    {"SOFT_DIS_JTAG", SOFT_DIS_JTAG},
    {"DIS_PAD_JTAG", DIS_PAD_JTAG},
    {"DIS_DOWNLOAD_MANUAL_ENCRYPT", DIS_DOWNLOAD_MANUAL_ENCRYPT},
    {"DIS_USB_OTG", DIS_USB_OTG},
    {"DIS_USB_SERIAL_JTAG", DIS_USB_SERIAL_JTAG},
    {"USB_PHY_SEL", USB_PHY_SEL},
    {"DIS_DOWNLOAD_ICACHE", DIS_DOWNLOAD_ICACHE},
    {"DIS_DOWNLOAD_DCACHE", DIS_DOWNLOAD_DCACHE},
    {"SPI_BOOT_CRYPT_CNT", SPI_BOOT_CRYPT_CNT},
    {"SECURE_BOOT_KEY_REVOKE0", SECURE_BOOT_KEY_REVOKE0},
    {"KEY_PURPOSE_0", KEY_PURPOSE_0},
    {"KEY_PURPOSE_1", KEY_PURPOSE_1},
    {"KEY_PURPOSE_2", KEY_PURPOSE_2},
    {"KEY_PURPOSE_3", KEY_PURPOSE_3},
    {"KEY_PURPOSE_4", KEY_PURPOSE_4},
    {"KEY_PURPOSE_5", KEY_PURPOSE_5},
    {"SECURE_BOOT_EN", SECURE_BOOT_EN},
    {"SECURE_BOOT_AGGRESSIVE_REVOKE", SECURE_BOOT_AGGRESSIVE_REVOKE},
    {"DIS_DOWNLOAD_MODE", DIS_DOWNLOAD_MODE},
    {"ENABLE_SECURITY_DOWNLOAD", ENABLE_SECURITY_DOWNLOAD},
}};

// What each KEY_PURPOSE value is called and what burn_key does with it (esptool targets/esp32s3.py
// KEY_PURPOSES; docs/efuse-and-security-facts.md §5). espefuse shows value 0 as "USER".
inline constexpr std::array<KeyPurposeDef, 12> kKeyPurposes{{
    {0, "USER", false, false, false},
    {1, "RESERVED", false, false, false},
    {2, "XTS_AES_256_KEY_1", true, true, false},
    {3, "XTS_AES_256_KEY_2", true, true, false},
    {4, "XTS_AES_128_KEY", true, true, false},
    {5, "HMAC_DOWN_ALL", false, true, false},
    {6, "HMAC_DOWN_JTAG", false, true, false},
    {7, "HMAC_DOWN_DIGITAL_SIGNATURE", false, true, false},
    {8, "HMAC_UP", false, true, false},
    {9, "SECURE_BOOT_DIGEST0", false, false, true},
    {10, "SECURE_BOOT_DIGEST1", false, false, true},
    {11, "SECURE_BOOT_DIGEST2", false, false, true},
}};

// GET_SECURITY_INFO flag bits (docs/serial-protocol.md §5.3).
inline constexpr std::uint32_t kSecInfoSecureBootEn = 1u << 0;
inline constexpr std::uint32_t kSecInfoSecureBootAggressiveRevoke = 1u << 1;
inline constexpr std::uint32_t kSecInfoSecureDownloadEnable = 1u << 2;
inline constexpr std::uint32_t kSecInfoSecureBootKeyRevoke0 = 1u << 3;  // 1 and 2 follow
inline constexpr std::uint32_t kSecInfoSoftDisJtag = 1u << 6;
inline constexpr std::uint32_t kSecInfoHardDisJtag = 1u << 7;
inline constexpr std::uint32_t kSecInfoDisUsb = 1u << 8;
inline constexpr std::uint32_t kSecInfoDisDownloadDcache = 1u << 9;
inline constexpr std::uint32_t kSecInfoDisDownloadIcache = 1u << 10;

}  // namespace espfab::chip::esp32s3_efuse
