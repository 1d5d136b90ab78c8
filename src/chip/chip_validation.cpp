#include "chip/chip_validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

namespace espfab::chip {

namespace {

constexpr unsigned kWordBits = 32;
constexpr unsigned kRdDisBits = 7;  // RD_DIS covers BLOCK4..BLOCK10

class Checker {
 public:
  explicit Checker(const ChipDescription& chip) : chip_(chip) {}

  template <typename... Args>
  void expect(bool ok, fmt::format_string<Args...> what, Args&&... args) {
    if (!ok) findings_.push_back(fmt::format("{}: {}", chip_.name, fmt::format(what, std::forward<Args>(args)...)));
  }

  std::vector<std::string> take() { return std::move(findings_); }

 private:
  const ChipDescription& chip_;
  std::vector<std::string> findings_;
};

bool power_of_two(std::uint32_t value) { return value != 0 && (value & (value - 1)) == 0; }

const MemoryRegion* region_named(std::span<const MemoryRegion> map, std::string_view name) {
  for (const auto& region : map)
    if (region.name == name) return &region;
  return nullptr;
}

bool in_memory_map(const ChipDescription& chip, std::uint32_t address) {
  return std::any_of(chip.memory_map.begin(), chip.memory_map.end(),
                     [&](const MemoryRegion& region) { return region.contains(address); });
}

void check_identity(const ChipDescription& chip, Checker& check) {
  check.expect(!chip.name.empty() && !chip.esptool_name.empty(), "a chip needs a name and esptool's name");
  check.expect(!chip.chip_detect_magics.empty(), "no chip-detect magic value");
  std::set<std::uint32_t> magics;
  for (const std::uint32_t magic : chip.chip_detect_magics) {
    check.expect(magic != 0, "chip-detect magic 0 cannot tell a chip apart");
    check.expect(magics.insert(magic).second, "chip-detect magic 0x{:08x} listed twice", magic);
  }
}

void check_memory_map(const ChipDescription& chip, Checker& check) {
  std::set<std::string_view> names;
  for (const auto& region : chip.memory_map) {
    check.expect(region.start < region.end, "memory region {} [0x{:08x}, 0x{:08x}) is empty or reversed", region.name,
                 region.start, region.end);
    check.expect(!region.name.empty(), "a memory region at 0x{:08x} has no name", region.start);
    check.expect(names.insert(region.name).second, "memory region {} listed twice", region.name);
  }
  for (const auto& window : chip.flash_map_windows) {
    check.expect(window.start < window.end, "flash map window {} is empty or reversed", window.name);
  }
  for (const auto name : chip.flash_rom_regions) {
    const MemoryRegion* region = region_named(chip.memory_map, name);
    check.expect(region != nullptr, "flash-mapped region {} is not in the memory map", name);
    if (region == nullptr) continue;
    const bool inside = std::any_of(chip.flash_map_windows.begin(), chip.flash_map_windows.end(),
                                    [&](const auto& w) { return w.start <= region->start && region->end <= w.end; });
    check.expect(inside, "flash-mapped region {} lies outside every flash map window", name);
  }
}

void check_code_table(std::string_view what, std::span<const NamedCode> table, std::uint8_t allowed_bits,
                      Checker& check) {
  check.expect(!table.empty(), "no flash {} codes", what);
  std::set<std::string_view> names;
  std::set<std::uint8_t> codes;
  for (const auto& entry : table) {
    check.expect(names.insert(entry.name).second, "flash {} {} listed twice", what, entry.name);
    check.expect(codes.insert(entry.code).second, "flash {} code 0x{:02x} used twice", what, entry.code);
    check.expect((entry.code & ~allowed_bits) == 0, "flash {} {} code 0x{:02x} does not fit its header bits", what,
                 entry.name, entry.code);
  }
}

void check_flash(const ChipDescription& chip, Checker& check) {
  const std::uint32_t sector = chip.flash_sector_size;
  check.expect(power_of_two(sector), "flash sector size 0x{:x} is not a power of two", sector);
  if (!power_of_two(sector)) return;
  check.expect(chip.bootloader_offset % sector == 0, "bootloader offset 0x{:x} is not sector aligned",
               chip.bootloader_offset);
  check.expect(chip.partition_table_offset % sector == 0, "partition table offset 0x{:x} is not sector aligned",
               chip.partition_table_offset);
  check.expect(chip.bootloader_offset < chip.partition_table_offset,
               "the bootloader (0x{:x}) must come before the partition table (0x{:x})", chip.bootloader_offset,
               chip.partition_table_offset);
  check.expect(power_of_two(chip.rom_flash_write_block) && chip.rom_flash_write_block <= sector,
               "ROM flash write block 0x{:x} must be a power of two no larger than a sector",
               chip.rom_flash_write_block);
  check.expect(chip.flash_mmu_page_size % sector == 0 && chip.flash_mmu_page_size != 0,
               "MMU page size 0x{:x} is not a whole number of sectors", chip.flash_mmu_page_size);
  check_code_table("mode", chip.flash_modes, 0xFF, check);
  check_code_table("size", chip.flash_sizes, 0xF0, check);
  check_code_table("frequency", chip.flash_frequencies, 0x0F, check);
  for (const auto& size : chip.flash_sizes) {
    check.expect(chip.flash_size_bytes(size.name).has_value(), "flash size name {} is not <n>MB", size.name);
  }
}

void check_registers(const ChipDescription& chip, Checker& check) {
  const Registers& r = chip.registers;
  check.expect(in_memory_map(chip, r.uartdev_buf_no), "UARTDEV_BUF_NO 0x{:08x} is outside the memory map",
               r.uartdev_buf_no);
  for (const std::uint32_t reg : {r.spi1_cmd, r.spi1_user, r.spi1_user2, r.spi1_miso_dlen, r.spi1_w0}) {
    check.expect(reg >= r.spi1_base && reg < r.spi1_base + 0x100 && reg % 4 == 0,
                 "SPI1 register 0x{:08x} is not a word inside the SPI1 block at 0x{:08x}", reg, r.spi1_base);
  }
  if (chip.efuse.blocks.size() > 1) {
    check.expect(r.efuse_mac_reg == chip.efuse.base + chip.efuse.blocks[1].read_offset,
                 "MAC_EFUSE_REG 0x{:08x} is not BLOCK1 word 0", r.efuse_mac_reg);
  }
  const UsbFacts& usb = chip.usb;
  check.expect(usb.serial_jtag_vid != 0 && usb.serial_jtag_pid != 0, "USB-Serial/JTAG needs a USB id");
  check.expect(!usb.uartdev_buf_no_usb_otg || *usb.uartdev_buf_no_usb_otg != usb.uartdev_buf_no_usb_serial_jtag,
               "UARTDEV_BUF_NO cannot mean both USB-OTG and USB-Serial/JTAG");
  if (usb.force_download_boot) {
    check.expect(usb.force_download_boot->mask != 0, "FORCE_DOWNLOAD_BOOT mask is empty");
  }
}

void check_blocks(const EfuseLayout& efuse, Checker& check) {
  check.expect(!efuse.blocks.empty(), "no eFuse blocks");
  std::set<unsigned> write_bits;
  std::set<unsigned> read_bits;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
  for (std::size_t b = 0; b < efuse.blocks.size(); ++b) {
    const EfuseBlock& block = efuse.blocks[b];
    const std::uint32_t end = block.read_offset + 4 * block.words;
    check.expect(block.words > 0 && block.words <= 8, "block {} has {} words (1..8)", block.name, block.words);
    check.expect(block.read_offset % 4 == 0 && end <= efuse.window_size,
                 "block {} read registers 0x{:x}..0x{:x} leave the eFuse window", block.name, block.read_offset, end);
    spans.emplace_back(block.read_offset, end);
    if (block.write_disable_bit) {
      check.expect(*block.write_disable_bit < kWordBits, "block {} WR_DIS bit {} is not a bit of WR_DIS", block.name,
                   *block.write_disable_bit);
      check.expect(write_bits.insert(*block.write_disable_bit).second, "block {} shares WR_DIS bit {}", block.name,
                   *block.write_disable_bit);
    }
    if (block.read_disable_bit) {
      check.expect(*block.read_disable_bit < kRdDisBits, "block {} RD_DIS bit {} is not a bit of RD_DIS", block.name,
                   *block.read_disable_bit);
      check.expect(read_bits.insert(*block.read_disable_bit).second, "block {} shares RD_DIS bit {}", block.name,
                   *block.read_disable_bit);
    }
    if (block.rs_coded) {
      check.expect(block.rs_err_reg % 4 == 0 && block.rs_err_reg < efuse.window_size && block.rs_err_shift + 3 <= 32,
                   "block {} RS error count is not a field of a register in the window", block.name);
      if (block.rs_fail) {
        check.expect(block.rs_fail->reg < efuse.window_size && block.rs_fail->bit < kWordBits,
                     "block {} RS fail bit is not a bit of a register in the window", block.name);
      }
    }
  }
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) {
    check.expect(spans[i].first >= spans[i - 1].second, "eFuse blocks share read registers at 0x{:x}", spans[i].first);
  }
  const auto key_end = std::size_t{efuse.first_key_block} + efuse.key_block_count;
  check.expect(key_end <= efuse.blocks.size(), "key blocks {}..{} are not all blocks", efuse.first_key_block, key_end);
  for (std::size_t b = efuse.first_key_block; b < std::min(key_end, efuse.blocks.size()); ++b) {
    check.expect(efuse.blocks[b].read_disable_bit.has_value() && efuse.blocks[b].words == 8,
                 "key block {} must be a read-protectable 256-bit block", efuse.blocks[b].name);
  }
}

// A field that covers its whole block (BLOCK_KEY0, BLOCK_USR_DATA) is the block seen as one value;
// it overlaps the block's finer fields by design and is left out of the overlap check.
bool whole_block_view(const FieldInfo& field, const EfuseBlock& block) {
  return field.word == 0 && field.pos == 0 && field.bit_len == block.words * kWordBits;
}

void check_field_table(const EfuseLayout& efuse, std::span<const FieldInfo> table, Checker& check) {
  check.expect(!table.empty(), "the eFuse field table is empty");
  std::set<std::string_view> names;
  std::vector<std::vector<std::pair<unsigned, const FieldInfo*>>> per_block(efuse.blocks.size());
  for (const auto& field : table) {
    check.expect(names.insert(field.name).second, "eFuse field {} listed twice", field.name);
    if (field.calculated()) continue;
    if (field.block >= efuse.blocks.size()) {
      check.expect(false, "eFuse field {} is in block {}, which does not exist", field.name, field.block);
      continue;
    }
    const EfuseBlock& block = efuse.blocks[field.block];
    const auto start = static_cast<unsigned>(field.word) * kWordBits + static_cast<unsigned>(field.pos);
    check.expect(field.pos < static_cast<int>(kWordBits) && field.bit_len > 0 &&
                     start + field.bit_len <= block.words * kWordBits,
                 "eFuse field {} (bits {}..{}) leaves block {} ({} bits)", field.name, start, start + field.bit_len,
                 block.name, block.words * kWordBits);
    check.expect(field.write_disable_bit < static_cast<int>(kWordBits), "eFuse field {} WR_DIS bit {} out of range",
                 field.name, field.write_disable_bit);
    check.expect(field.read_disable_bit < static_cast<int>(kRdDisBits), "eFuse field {} RD_DIS bit {} out of range",
                 field.name, field.read_disable_bit);
    if (!whole_block_view(field, block)) per_block[field.block].emplace_back(start, &field);
  }
  for (const auto& field : table) {
    for (std::size_t start = 0; start < field.aliases.size();) {
      std::size_t end = field.aliases.find(' ', start);
      if (end == std::string_view::npos) end = field.aliases.size();
      const auto alias = field.aliases.substr(start, end - start);
      check.expect(alias.empty() || !names.contains(alias), "alias {} of {} is another field's name", alias,
                   field.name);
      start = end + 1;
    }
  }
  for (auto& fields : per_block) {
    std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < fields.size(); ++i) {
      const auto& [prev_start, prev] = fields[i - 1];
      const auto& [start, field] = fields[i];
      check.expect(prev_start + prev->bit_len <= start, "eFuse fields {} and {} overlap in block {}", prev->name,
                   field->name, field->block);
    }
  }
}

void check_against_table(const EfuseLayout& efuse, std::span<const FieldInfo> table, Checker& check) {
  // The hand-written BLOCK0 constants.
  for (const auto& named : efuse.named_fields) {
    const FieldInfo* field = find_field(table, named.name);
    check.expect(field != nullptr, "hand-written eFuse field {} is not in the field table", named.name);
    if (field == nullptr) continue;
    check.expect(field->block == 0 && field->word == static_cast<int>(named.field.word) &&
                     field->pos == static_cast<int>(named.field.shift) && field->bit_len == named.field.width,
                 "hand-written {} = (word {}, shift {}, width {}) but the field table says block {} word {} pos {} "
                 "len {}",
                 named.name, named.field.word, named.field.shift, named.field.width, field->block, field->word,
                 field->pos, field->bit_len);
  }
  // The block table's protection bits against the whole-block fields.
  for (std::size_t b = 1; b < efuse.blocks.size(); ++b) {
    const EfuseBlock& block = efuse.blocks[b];
    const FieldInfo* field = find_field(table, block.name);
    if (field == nullptr || field->block != b || !whole_block_view(*field, block)) continue;
    check.expect(
        field->write_disable_bit == (block.write_disable_bit ? static_cast<int>(*block.write_disable_bit) : -1),
        "block {} WR_DIS bit differs from the field table", block.name);
    check.expect(field->read_disable_bit == (block.read_disable_bit ? static_cast<int>(*block.read_disable_bit) : -1),
                 "block {} RD_DIS bit differs from the field table", block.name);
  }
  // One KEY_PURPOSE_n field per key block, where the table has it.
  check.expect(efuse.key_purpose_fields.size() == efuse.key_block_count, "{} KEY_PURPOSE fields for {} key blocks",
               efuse.key_purpose_fields.size(), efuse.key_block_count);
  for (std::size_t i = 0; i < efuse.key_purpose_fields.size(); ++i) {
    const EfuseBitField& bits = efuse.key_purpose_fields[i];
    const FieldInfo* field = find_field(table, fmt::format("KEY_PURPOSE_{}", i));
    check.expect(field != nullptr && field->block == 0 && field->word == static_cast<int>(bits.word) &&
                     field->pos == static_cast<int>(bits.shift) && field->bit_len == bits.width,
                 "KEY_PURPOSE_{} differs from the field table", i);
  }
}

void check_key_purposes(const EfuseLayout& efuse, Checker& check) {
  check.expect(!efuse.key_purposes.empty(), "no key purposes");
  unsigned width = kWordBits;
  for (const auto& bits : efuse.key_purpose_fields) width = std::min(width, bits.width);
  std::set<std::uint8_t> values;
  std::set<std::string_view> names;
  for (const auto& purpose : efuse.key_purposes) {
    check.expect(values.insert(purpose.value).second, "key purpose value {} listed twice", purpose.value);
    check.expect(names.insert(purpose.name).second, "key purpose {} listed twice", purpose.name);
    check.expect(width >= kWordBits || purpose.value < (1u << width), "key purpose {} ({}) does not fit {} bits",
                 purpose.name, purpose.value, width);
    check.expect(!(purpose.digest && (purpose.reversed || purpose.needs_read_protect)),
                 "key purpose {}: a Secure Boot digest is public and stored as given", purpose.name);
  }
  check.expect(
      !efuse.key_purposes.empty() && efuse.key_purposes.front().value == 0 && efuse.key_purposes.front().name == "USER",
      "key purpose 0 must come first as USER (an unused key block)");
}

}  // namespace

std::vector<std::string> validate(const ChipDescription& chip) {
  Checker check(chip);
  check_identity(chip, check);
  check_memory_map(chip, check);
  check_flash(chip, check);
  check_registers(chip, check);
  const EfuseLayout& efuse = chip.efuse;
  check.expect(efuse.window_size > 0 && efuse.window_size % 4 == 0, "eFuse window size 0x{:x}", efuse.window_size);
  check_blocks(efuse, check);
  const std::span<const FieldInfo> table = efuse.fields ? efuse.fields() : std::span<const FieldInfo>{};
  check_field_table(efuse, table, check);
  check_against_table(efuse, table, check);
  check_key_purposes(efuse, check);
  return check.take();
}

}  // namespace espfab::chip
