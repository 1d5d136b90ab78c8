// validate() on every described chip, and on broken copies of the ESP32-S3 description: each kind
// of inconsistency it exists to catch is reported, naming the fact.
#include "chip/chip_validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "chip/descriptions.hpp"
#include "chip/known_chips.hpp"

namespace espfab::chip {
namespace {

std::string joined(const std::vector<std::string>& findings) {
  std::string all;
  for (const auto& finding : findings) all += finding + "\n";
  return all;
}

bool mentions(const std::vector<std::string>& findings, std::string_view text) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const std::string& finding) { return finding.find(text) != std::string::npos; });
}

TEST(ChipValidation, EveryDescribedChipIsConsistent) {
  for (const ChipDescription* chip : kDescriptions) {
    const auto findings = validate(*chip);
    EXPECT_TRUE(findings.empty()) << chip->name << ":\n" << joined(findings);
  }
}

TEST(ChipValidation, DescriptionsAgreeWithTheKnownChipsTable) {
  for (const ChipDescription* chip : kDescriptions) {
    const KnownChip* by_id = find_chip_by_id(chip->security_info_chip_id);
    ASSERT_NE(by_id, nullptr) << chip->name;
    EXPECT_EQ(by_id->name, chip->name);
    EXPECT_EQ(chip->image_chip_id, chip->security_info_chip_id) << chip->name;
    for (const std::uint32_t magic : chip->chip_detect_magics) {
      const KnownChip* by_magic = find_chip_by_magic(magic);
      ASSERT_NE(by_magic, nullptr) << chip->name;
      EXPECT_EQ(by_magic->name, chip->name);
    }
  }
}

TEST(ChipValidation, NamesAreUniqueAcrossChips) {
  EXPECT_NE(kEsp32s3.name, kEsp32c3.name);
  EXPECT_NE(kEsp32s3.security_info_chip_id, kEsp32c3.security_info_chip_id);
  EXPECT_NE(kEsp32s3.efuse.base, kEsp32c3.efuse.base);
}

TEST(ChipValidation, ReportsAMisalignedOffset) {
  ChipDescription chip = kEsp32s3;
  chip.partition_table_offset = 0x8100;
  EXPECT_TRUE(mentions(validate(chip), "partition table offset 0x8100 is not sector aligned"));
  chip = kEsp32s3;
  chip.flash_sector_size = 0x1800;
  EXPECT_TRUE(mentions(validate(chip), "not a power of two"));
}

TEST(ChipValidation, ReportsABrokenMemoryMap) {
  const std::array<MemoryRegion, 2> map{{{0x42000000, 0x41000000, "IROM"}, {0x3C000000, 0x3D000000, "DROM"}}};
  ChipDescription chip = kEsp32s3;
  chip.memory_map = map;
  const auto findings = validate(chip);
  EXPECT_TRUE(mentions(findings, "memory region IROM")) << joined(findings);
  const std::array<std::string_view, 1> unknown{"FLASH"};
  chip.memory_map = kEsp32s3.memory_map;
  chip.flash_rom_regions = unknown;
  EXPECT_TRUE(mentions(validate(chip), "flash-mapped region FLASH is not in the memory map"));
}

TEST(ChipValidation, ReportsDuplicateFlashCodes) {
  const std::array<NamedCode, 2> modes{{{"qio", 0}, {"dio", 0}}};
  ChipDescription chip = kEsp32s3;
  chip.flash_modes = modes;
  EXPECT_TRUE(mentions(validate(chip), "flash mode code 0x00 used twice"));
  const std::array<NamedCode, 1> sizes{{{"4MB", 0x02}}};
  chip = kEsp32s3;
  chip.flash_sizes = sizes;
  EXPECT_TRUE(mentions(validate(chip), "does not fit its header bits"));
}

TEST(ChipValidation, ReportsAHandWrittenConstantThatDiffersFromTheTable) {
  const std::array<NamedEfuseBitField, 1> wrong{{{"DIS_USB_SERIAL_JTAG", {3, 24, 1}}}};
  ChipDescription chip = kEsp32s3;
  chip.efuse.named_fields = wrong;
  const auto findings = validate(chip);
  EXPECT_TRUE(mentions(findings, "hand-written DIS_USB_SERIAL_JTAG = (word 3, shift 24, width 1)")) << joined(findings);
  const std::array<NamedEfuseBitField, 1> unknown{{{"NO_SUCH_FUSE", {1, 0, 1}}}};
  chip.efuse.named_fields = unknown;
  EXPECT_TRUE(mentions(validate(chip), "NO_SUCH_FUSE is not in the field table"));
}

TEST(ChipValidation, ReportsKeyPurposeFieldsThatDifferFromTheTable) {
  ChipDescription chip = kEsp32s3;
  const std::array<EfuseBitField, 6> shifted{{{2, 24, 4}, {2, 28, 4}, {3, 0, 4}, {3, 4, 4}, {3, 8, 4}, {3, 16, 4}}};
  chip.efuse.key_purpose_fields = shifted;
  EXPECT_TRUE(mentions(validate(chip), "KEY_PURPOSE_5 differs from the field table"));
  chip.efuse.key_purpose_fields = chip.efuse.key_purpose_fields.first(5);
  EXPECT_TRUE(mentions(validate(chip), "5 KEY_PURPOSE fields for 6 key blocks"));
}

TEST(ChipValidation, ReportsAnInconsistentKeyPurposeTable) {
  const std::array<KeyPurposeDef, 3> purposes{{{0, "USER", false, false, false},
                                               {9, "SECURE_BOOT_DIGEST0", false, true, true},
                                               {16, "TOO_BIG", false, false, false}}};
  ChipDescription chip = kEsp32s3;
  chip.efuse.key_purposes = purposes;
  const auto findings = validate(chip);
  EXPECT_TRUE(mentions(findings, "SECURE_BOOT_DIGEST0: a Secure Boot digest is public")) << joined(findings);
  EXPECT_TRUE(mentions(findings, "TOO_BIG (16) does not fit 4 bits")) << joined(findings);
}

// A table with two overlapping fields, one leaving its block, and a whole-block view that may
// overlap by design.
const std::array<FieldInfo, 4> kBrokenTable{{
    {"WR_DIS", 0, 0, 0, 32, FieldType::Uint, "uint:32", -1, -1, "config", FieldClass::Plain, "", "", {}, true},
    {"FIRST", 0, 1, 0, 8, FieldType::Uint, "uint:8", 0, -1, "config", FieldClass::Plain, "", "", {}, true},
    {"SECOND", 0, 1, 4, 8, FieldType::Uint, "uint:8", 0, -1, "config", FieldClass::Plain, "", "", {}, true},
    {"BEYOND", 1, 5, 16, 32, FieldType::Uint, "uint:32", 20, -1, "config", FieldClass::Plain, "", "", {}, true},
}};
std::span<const FieldInfo> broken_table() { return kBrokenTable; }

TEST(ChipValidation, ReportsOverlappingFieldsAndFieldsOutsideTheirBlock) {
  ChipDescription chip = kEsp32s3;
  chip.efuse.fields = &broken_table;
  chip.efuse.named_fields = {};
  chip.efuse.key_purpose_fields = {};
  chip.efuse.key_block_count = 0;
  const auto findings = validate(chip);
  EXPECT_TRUE(mentions(findings, "eFuse fields FIRST and SECOND overlap in block 0")) << joined(findings);
  EXPECT_TRUE(mentions(findings, "eFuse field BEYOND (bits 176..208) leaves block MAC_SPI_8M_0")) << joined(findings);
  EXPECT_FALSE(mentions(findings, "WR_DIS and")) << joined(findings);
}

TEST(ChipValidation, WholeBlockViewsMayOverlapTheirBlocksFields) {
  // BLOCK_USR_DATA covers block 3 and so does CUSTOM_MAC inside it: no finding.
  EXPECT_TRUE(validate(kEsp32s3).empty());
  const FieldInfo* usr = find_field(kEsp32s3.efuse.fields(), "BLOCK_USR_DATA");
  ASSERT_NE(usr, nullptr);
  EXPECT_EQ(usr->bit_len, 256u);
}

TEST(ChipValidation, ReportsBlocksThatShareRegistersOrProtectionBits) {
  std::array<EfuseBlock, 11> blocks{};
  std::copy(kEsp32s3.efuse.blocks.begin(), kEsp32s3.efuse.blocks.end(), blocks.begin());
  blocks[3].read_offset = blocks[2].read_offset + 4;
  blocks[5].write_disable_bit = blocks[4].write_disable_bit;
  blocks[6].read_disable_bit = 9;
  ChipDescription chip = kEsp32s3;
  chip.efuse.blocks = blocks;
  const auto findings = validate(chip);
  EXPECT_TRUE(mentions(findings, "eFuse blocks share read registers")) << joined(findings);
  EXPECT_TRUE(mentions(findings, "block BLOCK_KEY1 shares WR_DIS bit 23")) << joined(findings);
  EXPECT_TRUE(mentions(findings, "block BLOCK_KEY2 RD_DIS bit 9 is not a bit of RD_DIS")) << joined(findings);
  EXPECT_FALSE(mentions(findings, "MAC_EFUSE_REG")) << joined(findings);  // block 1 is unchanged
}

}  // namespace
}  // namespace espfab::chip
