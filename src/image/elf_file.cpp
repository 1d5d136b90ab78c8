#include "image/elf_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "util/error.hpp"

namespace espfab::image {

namespace {

constexpr std::size_t kFileHeaderSize = 0x34;
constexpr std::size_t kSectionHeaderSize = 0x28;
constexpr std::size_t kProgramHeaderSize = 0x20;
constexpr const char* kRebuildHint = "the ELF file is damaged or not an ESP-IDF firmware ELF; rebuild it";

[[noreturn]] void fail(const std::string& code, const std::string& message, std::string hint = kRebuildHint) {
  throw BadInputError("elf." + code, message, std::move(hint));
}

// [offset, offset + size) must lie inside the file.
void need_range(ByteView bytes, std::uint64_t offset, std::uint64_t size, const std::string& code,
                const std::string& what) {
  if (offset > bytes.size() || size > bytes.size() - offset) {
    fail(code, fmt::format("{} at offset {} with size {} lies outside the file ({} bytes)", what, hex(offset),
                           hex(size), bytes.size()));
  }
}

struct RawSection {
  std::uint32_t name_offset, type, flags, address, offset, size;
};

RawSection read_section_header(ByteView bytes, std::size_t at) {
  return {load_le32(bytes, at),      load_le32(bytes, at + 4),  load_le32(bytes, at + 8),
          load_le32(bytes, at + 12), load_le32(bytes, at + 16), load_le32(bytes, at + 20)};
}

std::string section_name(ByteView strings, std::uint32_t name_offset, std::size_t index) {
  if (name_offset >= strings.size()) {
    fail("bad_section_name", fmt::format("section {} has name offset {}, past the end of the section name table "
                                         "({} bytes)",
                                         index, hex(name_offset), strings.size()));
  }
  const auto rest = strings.subspan(name_offset);
  const auto end = std::find(rest.begin(), rest.end(), std::uint8_t{0});
  if (end == rest.end()) {
    fail("bad_section_name",
         fmt::format("section {} name at offset {} of the name table is not NUL-terminated", index, hex(name_offset)));
  }
  return std::string(rest.begin(), end);
}

void check_ident(ByteView bytes) {
  if (bytes.size() < 4 || bytes[0] != 0x7F || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
    fail("bad_magic", "not an ELF file: it does not start with 0x7f 'E' 'L' 'F'",
         "pass the firmware ELF the build produced (build/<project>.elf), not a .bin");
  }
  if (bytes.size() < kFileHeaderSize) {
    fail("truncated",
         fmt::format("truncated ELF: the file header needs {} bytes, the file has {}", kFileHeaderSize, bytes.size()));
  }
  if (bytes[4] != 1) {
    fail("bad_class",
         fmt::format("ELF class (byte 4) is {}; only 32-bit ELF (class 1) is supported", static_cast<int>(bytes[4])),
         "ESP32-S3 firmware is a 32-bit ELF; pass the ELF built by ESP-IDF for this chip");
  }
  if (bytes[5] != 1) {
    fail("bad_endian",
         fmt::format("ELF data encoding (byte 5) is {}; only little-endian (1) is supported",
                     static_cast<int>(bytes[5])),
         "ESP32-S3 firmware is little-endian; pass the ELF built by ESP-IDF for this chip");
  }
}

void read_sections(ByteView bytes, ElfFile& elf) {
  const std::uint32_t table_offset = load_le32(bytes, 0x20);
  const std::uint16_t entry_size = load_le16(bytes, 0x2E);
  const std::uint16_t count = load_le16(bytes, 0x30);
  const std::uint16_t names_index = load_le16(bytes, 0x32);
  if (count == 0) fail("no_sections", "the ELF file has no section headers (e_shnum is 0)");
  if (entry_size != kSectionHeaderSize) {
    fail("bad_section_header_size",
         fmt::format("section header entry size (e_shentsize) is {}, expected {}", entry_size, kSectionHeaderSize));
  }
  need_range(bytes, table_offset, std::uint64_t{count} * kSectionHeaderSize, "truncated_section_table",
             fmt::format("the section header table ({} entries)", count));
  if (names_index >= count) {
    fail("bad_string_table", fmt::format("the section name table index (e_shstrndx) is {}, but there are only {} "
                                         "sections",
                                         names_index, count));
  }

  std::vector<RawSection> raw;
  for (std::size_t i = 0; i < count; ++i) {
    const RawSection section = read_section_header(bytes, table_offset + i * kSectionHeaderSize);
    if (section.type != kShtNobits && section.type != 0 && section.size > 0) {
      need_range(bytes, section.offset, section.size, "section_out_of_file", fmt::format("section {}", i));
    }
    raw.push_back(section);
  }
  const RawSection& names = raw[names_index];
  if (names.type != kShtStrtab) {
    fail("bad_string_table",
         fmt::format("the section name table (section {}) has type {}, expected STRTAB (3)", names_index, names.type));
  }
  const ByteView strings = bytes.subspan(names.offset, names.size);

  for (std::size_t i = 0; i < raw.size(); ++i) {
    const RawSection& r = raw[i];
    ElfSection section;
    section.name = section_name(strings, r.name_offset, i);
    section.type = r.type;
    section.flags = r.flags;
    section.address = r.address;
    section.offset = r.offset;
    section.size = r.size;
    if (r.type != kShtNobits && r.type != 0 && r.size > 0) {
      const ByteView data = bytes.subspan(r.offset, r.size);
      section.data.assign(data.begin(), data.end());
    }
    elf.sections.push_back(std::move(section));
  }
}

void read_program_headers(ByteView bytes, ElfFile& elf) {
  const std::uint32_t table_offset = load_le32(bytes, 0x1C);
  const std::uint16_t entry_size = load_le16(bytes, 0x2A);
  const std::uint16_t count = load_le16(bytes, 0x2C);
  if (count == 0) return;
  if (entry_size != kProgramHeaderSize) {
    fail("bad_program_header_size",
         fmt::format("program header entry size (e_phentsize) is {}, expected {}", entry_size, kProgramHeaderSize));
  }
  need_range(bytes, table_offset, std::uint64_t{count} * kProgramHeaderSize, "truncated_program_headers",
             fmt::format("the program header table ({} entries)", count));
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = table_offset + i * kProgramHeaderSize;
    elf.program_headers.push_back({
        .type = load_le32(bytes, at),
        .offset = load_le32(bytes, at + 4),
        .virtual_address = load_le32(bytes, at + 8),
        .physical_address = load_le32(bytes, at + 12),
        .file_size = load_le32(bytes, at + 16),
        .memory_size = load_le32(bytes, at + 20),
        .flags = load_le32(bytes, at + 24),
    });
  }
}

}  // namespace

bool ElfSection::is_loadable() const {
  const bool program_data = type == kShtProgbits || type == kShtInitArray || type == kShtFiniArray;
  return program_data && address != 0 && size > 0;
}

ElfFile parse_elf(ByteView bytes) {
  check_ident(bytes);
  ElfFile elf;
  elf.machine = load_le16(bytes, 0x12);
  if (elf.machine != kElfMachineXtensa && elf.machine != kElfMachineRiscv) {
    fail("bad_machine",
         fmt::format("ELF machine (e_machine) is {}; expected Xtensa ({}) or RISC-V ({})", elf.machine,
                     kElfMachineXtensa, kElfMachineRiscv),
         "pass the ELF built for the ESP32-S3 (Xtensa)");
  }
  elf.entry_point = load_le32(bytes, 0x18);
  read_sections(bytes, elf);
  read_program_headers(bytes, elf);
  elf.sha256 = crypto::sha256(bytes);
  return elf;
}

}  // namespace espfab::image
