// A snapshot of an ESP32-S3's eFuse read registers: the 11 blocks as the chip reads them (read-
// protected blocks read as zeros), plus the error registers. Built from the device's registers
// (READ_REG through the loader) or from an espefuse virtual eFuse file (docs/efuse-and-security-facts.md §8), and
// queried per field of the table in chip/esp32s3_efuse_fields.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "chip/esp32s3_efuse.hpp"
#include "chip/esp32s3_efuse_fields.hpp"
#include "util/bytes.hpp"

namespace espfab::security {

using BlockWords = std::array<std::uint32_t, chip::esp32s3_efuse::kPgmDataWords>;

struct BlockErrors {
  unsigned count = 0;  // RS: corrected-error count; BLOCK0: number of set bits in RD_REPEAT_ERR0..4
  bool fail = false;
};

class EfuseImage {
 public:
  EfuseImage() = default;
  EfuseImage(const EfuseImage&) = default;
  EfuseImage& operator=(const EfuseImage&) = default;
  EfuseImage(EfuseImage&&) = default;
  EfuseImage& operator=(EfuseImage&&) = default;
  // Wipes the blocks: a key block read before its read protection holds the key.
  ~EfuseImage();

  // Register at absolute address -> value; called for every block word and error register.
  using ReadRegister = std::function<std::uint32_t(std::uint32_t address)>;
  static EfuseImage read(const ReadRegister& read_register);
  // The 512-byte file of `espefuse --virt --path-efuse-file` (byte-reversed register window). Throws
  // BadInputError("security.efuse_file_size") for any other size.
  static EfuseImage from_virtual_file(ByteView file);

  const BlockWords& block(unsigned index) const { return blocks_.at(index); }
  BlockWords& block(unsigned index) { return blocks_.at(index); }
  // The block as bytes in register order (byte 0 = word 0 bits [7:0]); 32 bytes for every block.
  Bytes block_bytes(unsigned index) const;

  std::uint32_t wr_dis() const { return blocks_[0][0]; }
  std::uint32_t rd_dis() const;
  bool write_protected(int wr_dis_bit) const { return wr_dis_bit >= 0 && (wr_dis() >> wr_dis_bit) & 1u; }
  bool read_protected(int rd_dis_bit) const { return rd_dis_bit >= 0 && (rd_dis() >> rd_dis_bit) & 1u; }

  // A field's bits as an integer (fields up to 64 bits) and as bytes (field byte 0 = lowest bits).
  std::uint64_t field_uint(const chip::esp32s3_efuse::FieldInfo& field) const;
  Bytes field_bytes(const chip::esp32s3_efuse::FieldInfo& field) const;
  // By name; throws BadInputError("security.efuse_unknown_field") for names not in the table.
  std::uint64_t field_uint(std::string_view name) const;

  BlockErrors block_errors(unsigned index) const;
  bool any_errors() const;

  std::array<std::uint32_t, 5> repeat_err{};  // EFUSE_RD_REPEAT_ERR0..4
  std::uint32_t rs_err0 = 0;                  // EFUSE_RD_RS_ERR0_REG
  std::uint32_t rs_err1 = 0;                  // EFUSE_RD_RS_ERR1_REG

 private:
  std::array<BlockWords, chip::esp32s3_efuse::kBlockCount> blocks_{};
};

}  // namespace espfab::security
