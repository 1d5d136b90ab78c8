// A bounds-checked reader for 32-bit little-endian ELF files (Xtensa or RISC-V), enough for
// elf2image: the file header, section headers with names and contents, and program headers.
// Every malformed input throws BadInputError (elf.*) naming the field and offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::image {

inline constexpr std::uint16_t kElfMachineXtensa = 94;
inline constexpr std::uint16_t kElfMachineRiscv = 243;

// Section types and flags elf2image looks at.
inline constexpr std::uint32_t kShtProgbits = 1;
inline constexpr std::uint32_t kShtStrtab = 3;
inline constexpr std::uint32_t kShtNobits = 8;
inline constexpr std::uint32_t kShtInitArray = 14;
inline constexpr std::uint32_t kShtFiniArray = 15;
inline constexpr std::uint32_t kShfExecinstr = 0x4;

struct ElfSection {
  std::string name;
  std::uint32_t type = 0;
  std::uint32_t flags = 0;
  std::uint32_t address = 0;  // sh_addr
  std::uint32_t offset = 0;   // sh_offset
  std::uint32_t size = 0;     // sh_size
  Bytes data;                 // contents; empty for NOBITS

  // PROGBITS, INIT_ARRAY or FINI_ARRAY with a non-zero address and size: what goes into an image.
  bool is_loadable() const;
};

struct ElfProgramHeader {
  std::uint32_t type = 0;
  std::uint32_t offset = 0;
  std::uint32_t virtual_address = 0;
  std::uint32_t physical_address = 0;
  std::uint32_t file_size = 0;
  std::uint32_t memory_size = 0;
  std::uint32_t flags = 0;
};

struct ElfFile {
  std::uint16_t machine = 0;
  std::uint32_t entry_point = 0;
  std::vector<ElfSection> sections;  // in section-header order
  std::vector<ElfProgramHeader> program_headers;
  crypto::Sha256Digest sha256{};  // of the whole file (elf2image --elf-sha256-offset)
};

ElfFile parse_elf(ByteView bytes);

}  // namespace espfab::image
