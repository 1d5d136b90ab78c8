#include "security/efuse_image.hpp"

#include <bit>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::security {

namespace efuse = chip::esp32s3_efuse;

namespace {

bool bit_at(const BlockWords& words, unsigned bit) { return (words[bit / 32] >> (bit % 32)) & 1u; }

}  // namespace

EfuseImage::~EfuseImage() { secure_wipe(blocks_.data(), sizeof blocks_); }

EfuseImage EfuseImage::read(const ReadRegister& read_register) {
  EfuseImage image;
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto& info = efuse::kBlocks[b];
    for (unsigned w = 0; w < info.words; ++w)
      image.blocks_[b][w] = read_register(efuse::kBase + info.read_offset + 4 * w);
  }
  for (unsigned i = 0; i < image.repeat_err.size(); ++i) {
    image.repeat_err[i] = read_register(efuse::kBase + efuse::EFUSE_RD_REPEAT_ERR0_REG + 4 * i);
  }
  image.rs_err0 = read_register(efuse::kBase + efuse::EFUSE_RD_RS_ERR0_REG);
  image.rs_err1 = read_register(efuse::kBase + efuse::EFUSE_RD_RS_ERR1_REG);
  return image;
}

EfuseImage EfuseImage::from_virtual_file(ByteView file) {
  if (file.size() != efuse::kWindowSize) {
    throw BadInputError(
        "security.efuse_file_size",
        fmt::format("a virtual eFuse file has {} bytes, this one has {}", efuse::kWindowSize, file.size()),
        "give the --path-efuse-file of `espefuse --virt` (512 bytes)");
  }
  return read([file](std::uint32_t address) {
    const std::uint32_t offset = address - efuse::kBase;
    const std::size_t at = efuse::kWindowSize - 4 - offset;  // stored big-endian, whole window reversed
    return (std::uint32_t{file[at]} << 24) | (std::uint32_t{file[at + 1]} << 16) | (std::uint32_t{file[at + 2]} << 8) |
           std::uint32_t{file[at + 3]};
  });
}

Bytes EfuseImage::block_bytes(unsigned index) const {
  Bytes out(std::size_t{4} * efuse::kPgmDataWords);
  for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) store_le32(out, std::size_t{4} * w, blocks_.at(index)[w]);
  return out;
}

std::uint32_t EfuseImage::rd_dis() const {
  return static_cast<std::uint32_t>(field_uint(*efuse::find_field("RD_DIS")));
}

std::uint64_t EfuseImage::field_uint(const efuse::FieldInfo& field) const {
  if (field.calculated() || field.bit_len > 64) {
    throw InternalError("security.efuse_field_width", fmt::format("{} has no integer value", field.name));
  }
  const auto& words = blocks_.at(field.block);
  const auto first = static_cast<unsigned>(field.word * 32 + field.pos);
  std::uint64_t value = 0;
  for (unsigned i = 0; i < field.bit_len; ++i) {
    if (bit_at(words, first + i)) value |= std::uint64_t{1} << i;
  }
  return value;
}

Bytes EfuseImage::field_bytes(const efuse::FieldInfo& field) const {
  const auto& words = blocks_.at(field.block);
  const auto first = static_cast<unsigned>(field.word * 32 + field.pos);
  Bytes out((field.bit_len + 7) / 8);
  for (unsigned i = 0; i < field.bit_len; ++i) {
    if (bit_at(words, first + i)) out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | (1u << (i % 8)));
  }
  return out;
}

std::uint64_t EfuseImage::field_uint(std::string_view name) const {
  const auto* field = efuse::find_field(name);
  if (field == nullptr) {
    throw BadInputError("security.efuse_unknown_field", fmt::format("'{}' is not an ESP32-S3 eFuse field", name),
                        "use a name from `espfab efuse summary`");
  }
  return field_uint(*field);
}

BlockErrors EfuseImage::block_errors(unsigned index) const {
  if (index == 0) {
    unsigned count = 0;
    for (const auto word : repeat_err) count += static_cast<unsigned>(std::popcount(word));
    return {count, count != 0};
  }
  const auto& info = efuse::kBlocks.at(index);
  const std::uint32_t reg = info.rs_err_reg == efuse::EFUSE_RD_RS_ERR0_REG ? rs_err0 : rs_err1;
  return {(reg >> info.rs_err_shift) & 0x7u, ((reg >> (info.rs_err_shift + 3)) & 1u) != 0};
}

bool EfuseImage::any_errors() const {
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto errors = block_errors(b);
    if (errors.fail || errors.count != 0) return true;
  }
  return false;
}

}  // namespace espfab::security
