// The shape of a chip's eFuse facts as data: bit fields, blocks, key purposes, the field table and
// the layout that ties them together (ChipDescription::efuse). The values live in one header per
// chip (esp32s3_efuse.hpp, esp32c3_efuse.hpp) and one generated field table per chip
// (esp32s3_efuse_fields.cpp, esp32c3_efuse_fields.cpp); chip_validation.cpp checks they agree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace espfab::chip {

// A BLOCK0 field the ROM, the host or the emulator acts on: (word, shift, width), word 0 = WR_DIS.
struct EfuseBitField {
  unsigned word;
  unsigned shift;
  unsigned width;
};

// A hand-written BLOCK0 constant under Espressif's name, so it can be checked against the field table.
struct NamedEfuseBitField {
  std::string_view name;
  EfuseBitField field;
};

// Where the RS decoder says a block failed: register offset from the eFuse base and bit.
struct RsFailBit {
  std::uint32_t reg;
  unsigned bit;
};

// One eFuse block: where its read registers are, what protects it, how its RS errors are reported.
struct EfuseBlock {
  std::string_view name;
  std::string_view alias;
  std::uint32_t read_offset;                  // offset of the first read register from the eFuse base
  unsigned words;                             // read registers
  std::optional<unsigned> write_disable_bit;  // WR_DIS bit protecting the whole block
  std::optional<unsigned> read_disable_bit;   // RD_DIS bit hiding the whole block
  bool rs_coded;                              // RS(44,32): blocks 1..10
  // RD_RS_ERR0/1 field: register offset and shift of the 3-bit error count, and the fail bit
  // (on the ESP32-S3 right after the count; the ESP32-C3's sits one block later).
  std::uint32_t rs_err_reg;
  unsigned rs_err_shift;
  std::optional<RsFailBit> rs_fail;
};

// A KEY_PURPOSE_n value, its espefuse name and what burn_key does for it.
struct KeyPurposeDef {
  std::uint8_t value;
  std::string_view name;
  bool reversed;            // burn_key reverses the key file bytes (XTS keys)
  bool needs_read_protect;  // burn_key read-protects the block unless told not to
  bool digest;              // SECURE_BOOT_DIGESTn
};

enum class FieldType { Bool, Uint, Bytes };

// How espefuse turns a field's bits into the value it shows.
enum class FieldClass {
  Plain,       // bool / integer / bytes as "01 02 ..." in block byte order
  Mac,         // bytes shown as "aa:bb:...:ff (OK)"; MAC is stored reversed, CUSTOM_MAC is not
  KeyPurpose,  // KEY_PURPOSE_n: the purpose name
  KeyBlock,    // a whole key/data block
  BitCount,    // counters burned one bit at a time (SPI_BOOT_CRYPT_CNT, SECURE_VERSION)
  TempSensor,  // sign bit + magnitude * 0.1
  AdcPoint,    // sign bit + magnitude * 4
  WaferCalc,   // WAFER_VERSION_MINOR = HI << 3 + LO (no bits of its own)
};

struct ValueMeaning {
  std::uint32_t value;
  std::string_view text;
};

// One row of a generated eFuse field table (tools/gen_efuse_fields.py).
struct FieldInfo {
  std::string_view name;
  unsigned block;
  int word;  // -1 for a calculated field
  int pos;   // -1 for a calculated field
  unsigned bit_len;
  FieldType type;
  std::string_view efuse_type;  // espefuse's type text: "bool", "uint:7", "bytes:32"
  int write_disable_bit;        // WR_DIS bit, -1 = cannot be write-protected
  int read_disable_bit;         // RD_DIS bit, -1 = cannot be read-protected
  std::string_view category;    // "security", "usb", "jtag", "flash", "config", ...
  FieldClass field_class;
  std::string_view description;
  std::string_view aliases;  // space separated ("HARD_DIS_JTAG")
  std::span<const ValueMeaning> meanings;
  bool shown;  // espefuse lists the field (yaml show: y); reserved fields are not shown

  bool calculated() const { return word < 0; }
  bool has_alias(std::string_view alias) const {
    std::size_t start = 0;
    while (start < aliases.size()) {
      std::size_t end = aliases.find(' ', start);
      if (end == std::string_view::npos) end = aliases.size();
      if (aliases.substr(start, end - start) == alias) return true;
      start = end + 1;
    }
    return false;
  }
  std::optional<std::string_view> meaning(std::uint32_t value) const {
    for (const auto& m : meanings)
      if (m.value == value) return m.text;
    return std::nullopt;
  }
};

// By Espressif's name or one of its aliases; nullptr when unknown.
inline const FieldInfo* find_field(std::span<const FieldInfo> table, std::string_view name) {
  for (const auto& field : table)
    if (field.name == name || field.has_alias(name)) return &field;
  return nullptr;
}

// Everything a chip says about its eFuses.
struct EfuseLayout {
  std::uint32_t base;         // DR_REG_EFUSE_BASE
  std::uint32_t window_size;  // register window = virtual eFuse file size
  std::span<const EfuseBlock> blocks;
  unsigned first_key_block;  // BLOCK_KEY0
  unsigned key_block_count;
  std::span<const EfuseBitField> key_purpose_fields;  // KEY_PURPOSE_0.. in key block order
  std::span<const KeyPurposeDef> key_purposes;
  std::span<const NamedEfuseBitField> named_fields;  // every hand-written BLOCK0 constant
  std::span<const FieldInfo> (*fields)();            // the generated field table

  constexpr bool in_window(std::uint32_t address) const { return address >= base && address - base < window_size; }
};

}  // namespace espfab::chip
