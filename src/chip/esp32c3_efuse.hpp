// ESP32-C3 eFuse facts as data: register window, block table, the BLOCK0 fields a provisioning flow
// would act on, key purposes. Sources: esptool v4.8.1 espefuse/efuse/esp32c3/mem_definition.py
// (window, blocks, RS error fields), espefuse/efuse_defs/esp32c3.yaml (field positions),
// targets/esp32c3.py (KEY_PURPOSES). Data only: nothing in espfab drives an ESP32-C3 yet
// (docs/adding-a-chip.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "chip/efuse_layout.hpp"

namespace espfab::chip::esp32c3_efuse {

inline constexpr std::uint32_t kBase = 0x60008800;   // DR_REG_EFUSE_BASE
inline constexpr std::uint32_t kWindowSize = 0x200;  // EFUSE_MEM_SIZE

inline constexpr std::uint32_t EFUSE_RD_RS_ERR0_REG = 0x1C0;
inline constexpr std::uint32_t EFUSE_RD_RS_ERR1_REG = 0x1C4;

inline constexpr unsigned kBlockKey0 = 4;
inline constexpr unsigned kKeyBlockCount = 6;

// The RS fail bits sit one block later than the error counts (a hardware quirk espefuse records):
// the fail bit of a block is the one after the next block's error count.
inline constexpr std::array<EfuseBlock, 11> kBlocks{{
    {"BLOCK0", "", 0x02C, 6, std::nullopt, std::nullopt, false, 0, 0, std::nullopt},
    {"MAC_SPI_8M_0", "BLOCK1", 0x044, 6, 20, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 0,
     RsFailBit{EFUSE_RD_RS_ERR0_REG, 7}},
    {"BLOCK_SYS_DATA", "BLOCK2", 0x05C, 8, 21, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 4,
     RsFailBit{EFUSE_RD_RS_ERR0_REG, 11}},
    {"BLOCK_USR_DATA", "BLOCK3", 0x07C, 8, 22, std::nullopt, true, EFUSE_RD_RS_ERR0_REG, 8,
     RsFailBit{EFUSE_RD_RS_ERR0_REG, 15}},
    {"BLOCK_KEY0", "BLOCK4", 0x09C, 8, 23, 0, true, EFUSE_RD_RS_ERR0_REG, 12, RsFailBit{EFUSE_RD_RS_ERR0_REG, 19}},
    {"BLOCK_KEY1", "BLOCK5", 0x0BC, 8, 24, 1, true, EFUSE_RD_RS_ERR0_REG, 16, RsFailBit{EFUSE_RD_RS_ERR0_REG, 23}},
    {"BLOCK_KEY2", "BLOCK6", 0x0DC, 8, 25, 2, true, EFUSE_RD_RS_ERR0_REG, 20, RsFailBit{EFUSE_RD_RS_ERR0_REG, 27}},
    {"BLOCK_KEY3", "BLOCK7", 0x0FC, 8, 26, 3, true, EFUSE_RD_RS_ERR0_REG, 24, RsFailBit{EFUSE_RD_RS_ERR0_REG, 31}},
    {"BLOCK_KEY4", "BLOCK8", 0x11C, 8, 27, 4, true, EFUSE_RD_RS_ERR0_REG, 28, RsFailBit{EFUSE_RD_RS_ERR1_REG, 3}},
    {"BLOCK_KEY5", "BLOCK9", 0x13C, 8, 28, 5, true, EFUSE_RD_RS_ERR1_REG, 0, RsFailBit{EFUSE_RD_RS_ERR1_REG, 7}},
    {"BLOCK_SYS_DATA2", "BLOCK10", 0x15C, 8, 29, 6, true, EFUSE_RD_RS_ERR1_REG, 4, std::nullopt},
}};

// BLOCK0 fields: (word, shift, width), word 0 = WR_DIS.
inline constexpr EfuseBitField RD_DIS{1, 0, 7};
inline constexpr EfuseBitField DIS_USB_JTAG{1, 9, 1};
inline constexpr EfuseBitField DIS_DOWNLOAD_ICACHE{1, 10, 1};
inline constexpr EfuseBitField DIS_USB_SERIAL_JTAG{1, 11, 1};
inline constexpr EfuseBitField SOFT_DIS_JTAG{1, 16, 3};
inline constexpr EfuseBitField DIS_PAD_JTAG{1, 19, 1};
inline constexpr EfuseBitField DIS_DOWNLOAD_MANUAL_ENCRYPT{1, 20, 1};
inline constexpr EfuseBitField SPI_BOOT_CRYPT_CNT{2, 18, 3};
inline constexpr EfuseBitField SECURE_BOOT_KEY_REVOKE0{2, 21, 1};
inline constexpr EfuseBitField KEY_PURPOSE_0{2, 24, 4};
inline constexpr EfuseBitField KEY_PURPOSE_1{2, 28, 4};
inline constexpr EfuseBitField KEY_PURPOSE_2{3, 0, 4};
inline constexpr EfuseBitField KEY_PURPOSE_3{3, 4, 4};
inline constexpr EfuseBitField KEY_PURPOSE_4{3, 8, 4};
inline constexpr EfuseBitField KEY_PURPOSE_5{3, 12, 4};
inline constexpr EfuseBitField SECURE_BOOT_EN{3, 20, 1};
inline constexpr EfuseBitField SECURE_BOOT_AGGRESSIVE_REVOKE{3, 21, 1};
inline constexpr EfuseBitField DIS_DOWNLOAD_MODE{4, 0, 1};
inline constexpr EfuseBitField ENABLE_SECURITY_DOWNLOAD{4, 5, 1};

inline constexpr std::array<EfuseBitField, kKeyBlockCount> kKeyPurposeFields{
    KEY_PURPOSE_0, KEY_PURPOSE_1, KEY_PURPOSE_2, KEY_PURPOSE_3, KEY_PURPOSE_4, KEY_PURPOSE_5};

inline constexpr std::array<NamedEfuseBitField, 19> kNamedFields{{
    {"RD_DIS", RD_DIS},
    {"DIS_USB_JTAG", DIS_USB_JTAG},
    {"DIS_DOWNLOAD_ICACHE", DIS_DOWNLOAD_ICACHE},
    {"DIS_USB_SERIAL_JTAG", DIS_USB_SERIAL_JTAG},
    {"SOFT_DIS_JTAG", SOFT_DIS_JTAG},
    {"DIS_PAD_JTAG", DIS_PAD_JTAG},
    {"DIS_DOWNLOAD_MANUAL_ENCRYPT", DIS_DOWNLOAD_MANUAL_ENCRYPT},
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

// No XTS-AES-256: the ESP32-C3 encrypts flash with a 128-bit key only (values 2 and 3 are absent).
inline constexpr std::array<KeyPurposeDef, 10> kKeyPurposes{{
    {0, "USER", false, false, false},
    {1, "RESERVED", false, false, false},
    {4, "XTS_AES_128_KEY", true, true, false},
    {5, "HMAC_DOWN_ALL", false, true, false},
    {6, "HMAC_DOWN_JTAG", false, true, false},
    {7, "HMAC_DOWN_DIGITAL_SIGNATURE", false, true, false},
    {8, "HMAC_UP", false, true, false},
    {9, "SECURE_BOOT_DIGEST0", false, false, true},
    {10, "SECURE_BOOT_DIGEST1", false, false, true},
    {11, "SECURE_BOOT_DIGEST2", false, false, true},
}};

}  // namespace espfab::chip::esp32c3_efuse
