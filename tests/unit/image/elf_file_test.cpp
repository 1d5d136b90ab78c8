// The ELF reader on the vector ELFs, and every malformation naming what is wrong.
#include "image/elf_file.hpp"

#include <gtest/gtest.h>

#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

constexpr std::size_t kShoff = 0x20;
constexpr std::size_t kShnum = 0x30;

std::string error_code_of(ByteView bytes, std::string* message = nullptr) {
  try {
    parse_elf(bytes);
  } catch (const BadInputError& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return "no error";
}

TEST(ElfFile, ReadsAppElfSections) {
  const ElfFile elf = parse_elf(read_vector("app_image/app_elf.bin"));
  EXPECT_EQ(elf.machine, kElfMachineXtensa);
  EXPECT_EQ(elf.entry_point, 0x40370000u);
  ASSERT_EQ(elf.sections.size(), 6u);
  EXPECT_EQ(elf.sections[1].name, ".flash.rodata");
  EXPECT_EQ(elf.sections[1].address, 0x3c000020u);
  EXPECT_EQ(elf.sections[1].data.size(), 300u);
  EXPECT_EQ(elf.sections[3].name, ".iram0.text");
  EXPECT_EQ(elf.sections[3].flags & kShfExecinstr, kShfExecinstr);
  EXPECT_EQ(elf.sections[5].name, ".shstrtab");
  EXPECT_FALSE(elf.sections[5].is_loadable());  // STRTAB at address 0
  EXPECT_FALSE(elf.sections[0].is_loadable());
  EXPECT_TRUE(elf.sections[4].is_loadable());
  ASSERT_EQ(elf.program_headers.size(), 4u);
  EXPECT_EQ(elf.program_headers[3].virtual_address, 0x42000020u);
  EXPECT_EQ(elf.sha256, crypto::sha256(read_vector("app_image/app_elf.bin")));
}

TEST(ElfFile, ReadsBootElfSections) {
  const ElfFile elf = parse_elf(read_vector("app_image/boot_elf.bin"));
  EXPECT_EQ(elf.entry_point, 0x403ca000u);
  ASSERT_EQ(elf.sections.size(), 5u);
  EXPECT_EQ(elf.sections[1].name, ".iram_loader.text");
  EXPECT_EQ(elf.sections[3].data.size(), 400u);
}

TEST(ElfFile, BadMagic) {
  EXPECT_EQ(error_code_of(read_vector("app_image/app.bin")), "elf.bad_magic");
  EXPECT_EQ(error_code_of(Bytes{}), "elf.bad_magic");
}

TEST(ElfFile, BadClassIsNamed) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  elf[4] = 2;  // ELFCLASS64
  std::string message;
  EXPECT_EQ(error_code_of(elf, &message), "elf.bad_class");
  EXPECT_NE(message.find("32-bit"), std::string::npos) << message;
}

TEST(ElfFile, BigEndianIsRejected) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  elf[5] = 2;
  EXPECT_EQ(error_code_of(elf), "elf.bad_endian");
}

TEST(ElfFile, WrongMachineIsRejected) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  store_le16(elf, 0x12, 40);  // ARM
  EXPECT_EQ(error_code_of(elf), "elf.bad_machine");
}

TEST(ElfFile, TruncatedHeader) {
  const Bytes elf = read_vector("app_image/app_elf.bin");
  for (std::size_t cut = 4; cut < 0x34; ++cut) EXPECT_EQ(error_code_of(ByteView(elf).first(cut)), "elf.truncated");
}

TEST(ElfFile, TruncatedSectionTable) {
  const Bytes elf = read_vector("app_image/app_elf.bin");
  const std::uint32_t shoff = load_le32(elf, kShoff);
  for (std::size_t cut = shoff; cut < elf.size(); cut += 7) {
    std::string message;
    EXPECT_EQ(error_code_of(ByteView(elf).first(cut), &message), "elf.truncated_section_table") << cut;
  }
  Bytes moved = elf;
  store_le32(moved, kShoff, 0xFFFFFFF0u);
  std::string message;
  EXPECT_EQ(error_code_of(moved, &message), "elf.truncated_section_table");
  EXPECT_NE(message.find("0xfffffff0"), std::string::npos) << message;
}

TEST(ElfFile, SectionOutOfFile) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  const std::uint32_t shoff = load_le32(elf, kShoff);
  // Section 4 (.flash.text): sh_offset past the end of the file.
  store_le32(elf, shoff + 4 * 0x28 + 16, static_cast<std::uint32_t>(elf.size()));
  std::string message;
  EXPECT_EQ(error_code_of(elf, &message), "elf.section_out_of_file");
  EXPECT_NE(message.find("section 4"), std::string::npos) << message;
  // Or a size that runs past the end.
  Bytes big = read_vector("app_image/app_elf.bin");
  store_le32(big, shoff + 4 * 0x28 + 20, 0xFFFFFF00u);
  EXPECT_EQ(error_code_of(big), "elf.section_out_of_file");
}

TEST(ElfFile, BadSectionHeaderFields) {
  const Bytes original = read_vector("app_image/app_elf.bin");
  Bytes elf = original;
  store_le16(elf, 0x2E, 0x30);
  EXPECT_EQ(error_code_of(elf), "elf.bad_section_header_size");
  elf = original;
  store_le16(elf, kShnum, 0);
  EXPECT_EQ(error_code_of(elf), "elf.no_sections");
  elf = original;
  store_le16(elf, 0x32, 6);
  EXPECT_EQ(error_code_of(elf), "elf.bad_string_table");
  elf = original;
  store_le16(elf, 0x32, 1);  // a PROGBITS section as name table
  EXPECT_EQ(error_code_of(elf), "elf.bad_string_table");
}

TEST(ElfFile, BadSectionName) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  const std::uint32_t shoff = load_le32(elf, kShoff);
  store_le32(elf, shoff + 1 * 0x28, 0x1000);
  EXPECT_EQ(error_code_of(elf), "elf.bad_section_name");
}

TEST(ElfFile, TruncatedProgramHeaders) {
  Bytes elf = read_vector("app_image/app_elf.bin");
  store_le32(elf, 0x1C, static_cast<std::uint32_t>(elf.size() - 16));
  EXPECT_EQ(error_code_of(elf), "elf.truncated_program_headers");
}

}  // namespace
}  // namespace espfab::image
