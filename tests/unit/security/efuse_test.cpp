// eFuse table, decode and Reed-Solomon against espefuse's vectors: the field table covers every
// field of the summaries; each step of the virtual-chip chain decodes to the same values as
// `espefuse summary --format json`; RS check words equal the words espefuse programmed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "chip/esp32s3_efuse_fields.hpp"
#include "security/efuse_image.hpp"
#include "security/efuse_reed_solomon.hpp"
#include "security/efuse_summary.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

namespace efuse = chip::esp32s3_efuse;

const char* const kSteps[] = {"step01_virgin",
                              "step02_burn_key_xts128",
                              "step03_burn_key_digest",
                              "step04_spi_boot_crypt_cnt",
                              "step05_secure_boot_en",
                              "step06_disable_jtag",
                              "step07_dis_download_manual_encrypt",
                              "step08a_write_protect",
                              "step08b_read_protect",
                              "xts256"};

nlohmann::json to_json(const FieldValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json summary_json(const EfuseImage& image) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : summarize(image)) {
    const auto& f = *s.field;
    out[std::string(f.name)] = {{"name", f.name},
                                {"value", to_json(s.value)},
                                {"block", f.block},
                                {"word", f.calculated() ? nlohmann::json() : nlohmann::json(f.word)},
                                {"pos", f.calculated() ? nlohmann::json() : nlohmann::json(f.pos)},
                                {"bit_len", f.bit_len},
                                {"efuse_type", f.efuse_type},
                                {"readable", s.readable},
                                {"writeable", s.writeable},
                                {"category", f.category},
                                {"description", f.description}};
  }
  return out;
}

TEST(EfuseTable, CoversEverySummaryFieldWithTheSameFacts) {
  const auto summary = nlohmann::json::parse(test::read_vector_text("efuse/step01_virgin.summary.json"));
  ASSERT_EQ(summary.size(), 87u);
  for (const auto& [name, item] : summary.items()) {
    SCOPED_TRACE(name);
    const auto* field = efuse::find_field(name);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->block, item.at("block").get<unsigned>());
    if (!item.at("word").is_null()) {
      EXPECT_EQ(field->word, item.at("word").get<int>());
      EXPECT_EQ(field->pos, item.at("pos").get<int>());
    }
    EXPECT_EQ(field->bit_len, item.at("bit_len").get<unsigned>());
    EXPECT_EQ(field->efuse_type, item.at("efuse_type").get<std::string>());
    EXPECT_EQ(field->category, item.at("category").get<std::string>());
    EXPECT_EQ(field->description, item.at("description").get<std::string>());
  }
}

TEST(EfuseTable, NamesAliasesAndProtectionBits) {
  EXPECT_EQ(efuse::find_field("HARD_DIS_JTAG"), efuse::find_field("DIS_PAD_JTAG"));
  EXPECT_EQ(efuse::find_field("DIS_USB_DEVICE"), efuse::find_field("DIS_USB_SERIAL_JTAG"));
  EXPECT_EQ(efuse::find_field("NO_SUCH_FIELD"), nullptr);
  EXPECT_EQ(efuse::find_field("SECURE_VERSION")->write_disable_bit, 18);
  EXPECT_EQ(efuse::find_field("BLOCK_KEY3")->read_disable_bit, 3);
  EXPECT_EQ(efuse::find_field("SOFT_DIS_JTAG")->write_disable_bit, 31);
  // Unique names; every BLOCK0 bit a field with a WR_DIS bit covers matches the emulator engineer's
  // per-bit masks in esp32s3_efuse.hpp.
  std::set<std::string_view> names;
  std::array<efuse::Block0Mask, 32> masks{};
  for (const auto& field : efuse::fields()) {
    EXPECT_TRUE(names.insert(field.name).second) << field.name;
    if (field.block != 0 || field.calculated() || field.write_disable_bit < 0) continue;
    for (unsigned i = 0; i < field.bit_len; ++i) {
      const unsigned bit = static_cast<unsigned>(field.word * 32 + field.pos) + i;
      masks[static_cast<std::size_t>(field.write_disable_bit)][bit / 32] |= 1u << (bit % 32);
    }
  }
  EXPECT_EQ(masks, efuse::kBlock0WriteProtect);
}

TEST(EfuseDecode, EveryStepMatchesEspefuseSummaryJson) {
  for (const char* step : kSteps) {
    SCOPED_TRACE(step);
    const auto image = EfuseImage::from_virtual_file(test::read_vector(std::string("efuse/") + step + ".efuse.bin"));
    const auto expected = nlohmann::json::parse(test::read_vector_text(std::string("efuse/") + step + ".summary.json"));
    const auto ours = summary_json(image);
    EXPECT_EQ(ours.size(), expected.size());
    for (const auto& [name, item] : expected.items()) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(ours.contains(name));
      EXPECT_EQ(ours.at(name), item);
    }
  }
}

TEST(EfuseDecode, ReadsWordsAndErrorsFromTheVirtualFile) {
  const auto image = EfuseImage::from_virtual_file(test::read_vector("efuse/step08b_read_protect.efuse.bin"));
  EXPECT_EQ(image.wr_dis(), 0x01800304u);
  EXPECT_EQ(image.block(0)[1], 0x001f0041u);
  EXPECT_EQ(image.rd_dis(), 0x41u);
  EXPECT_TRUE(image.read_protected(0));
  EXPECT_TRUE(image.write_protected(2));
  EXPECT_EQ(image.field_uint("SPI_BOOT_CRYPT_CNT"), 7u);
  EXPECT_FALSE(image.any_errors());
  // With --no-read-protect the XTS key block holds the key file reversed.
  const auto open = EfuseImage::from_virtual_file(test::read_vector("efuse/xts128_no_read_protect.efuse.bin"));
  const auto manifest = nlohmann::json::parse(test::read_vector_text("efuse/manifest.json"));
  Bytes key = from_hex(manifest.at("xts128_keyfile_hex").get<std::string>());
  std::reverse(key.begin(), key.end());
  EXPECT_EQ(open.block_bytes(4), key);
  EXPECT_THROW(EfuseImage::from_virtual_file(Bytes(100)), BadInputError);
  EXPECT_THROW((void)image.field_uint("NO_SUCH_FIELD"), BadInputError);
}

TEST(EfuseDecode, BlockErrorRegisters) {
  EfuseImage image;
  image.rs_err0 = (2u << 12) | (1u << 15);  // BLOCK_KEY0: 2 errors, fail
  image.rs_err1 = 1u << 4;                  // BLOCK_SYS_DATA2: 1 error
  image.repeat_err[1] = 0x3;
  EXPECT_EQ(image.block_errors(4).count, 2u);
  EXPECT_TRUE(image.block_errors(4).fail);
  EXPECT_EQ(image.block_errors(10).count, 1u);
  EXPECT_FALSE(image.block_errors(10).fail);
  EXPECT_EQ(image.block_errors(0).count, 2u);
  EXPECT_TRUE(image.any_errors());
  image.block(1)[0] = 0x44332211;
  image.block(1)[1] = 0x6655;
  const auto summary = summarize(image);
  const auto mac = std::find_if(summary.begin(), summary.end(), [](const auto& s) { return s.field->name == "MAC"; });
  ASSERT_NE(mac, summary.end());
  EXPECT_EQ(std::get<std::string>(mac->value), "66:55:44:33:22:11 (OK)");
}

TEST(ReedSolomon, SanityVectorsFromEsptool) {
  EXPECT_EQ(rs_encode(Bytes(32, 0)), RsCheckBytes{});
  const RsCheckBytes ff = rs_encode(Bytes(32, 0xFF));
  EXPECT_EQ(to_hex(ff), "13a36292597404257375e0aa");
}

TEST(ReedSolomon, CheckWordsEqualEspefusePgmWrites) {
  int rs_programs = 0;
  for (const char* step : kSteps) {
    const std::string name = std::string("efuse/") + step + ".pgm_writes.json";
    if (!std::filesystem::exists(test::vector_path(name))) continue;
    SCOPED_TRACE(step);
    const auto writes = nlohmann::json::parse(test::read_vector_text(name));
    for (const auto& program : writes.at("programs")) {
      const auto& regs = program.at("regs");
      if (program.at("block").get<int>() == 0) {
        EXPECT_EQ(regs.size(), 8u);
        continue;
      }
      ASSERT_EQ(regs.size(), 11u);
      Bytes data(32);
      for (std::size_t w = 0; w < 8; ++w) {
        store_le32(data, 4 * w, static_cast<std::uint32_t>(std::stoul(regs[w][1].get<std::string>(), nullptr, 16)));
      }
      const RsCheckWords words = rs_check_words(data);
      for (std::size_t w = 0; w < 3; ++w) {
        EXPECT_EQ(words[w], std::stoul(regs[8 + w][1].get<std::string>(), nullptr, 16));
      }
      ++rs_programs;
    }
  }
  EXPECT_EQ(rs_programs, 2);  // BLOCK_KEY0 (step 02) and BLOCK_KEY1 (step 03)
}

}  // namespace
}  // namespace espfab::security
