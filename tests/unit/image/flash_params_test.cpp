#include "image/flash_params.hpp"

#include <gtest/gtest.h>

#include "chip/esp32s3.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

TEST(FlashParams, ParsesNamesIntoHeaderCodes) {
  const auto params = parse_flash_params(chip::kEsp32s3, "qio", "40m", "8MB");
  EXPECT_EQ(params.mode, 0);
  EXPECT_EQ(params.frequency, 0x0);
  EXPECT_EQ(params.size_code, 0x30);
  // The merged_hdr_patched vector: qio/40m/8MB turns bytes 2..3 into 00 30.
  EXPECT_EQ(apply_flash_params(params, 0x02, 0x2F), std::make_pair(std::uint8_t{0x00}, std::uint8_t{0x30}));
}

TEST(FlashParams, KeepLeavesFieldsAlone) {
  const auto params = parse_flash_params(chip::kEsp32s3, "keep", "", "keep");
  EXPECT_TRUE(params.keeps_all());
  EXPECT_EQ(apply_flash_params(params, 0x02, 0x2F), std::make_pair(std::uint8_t{0x02}, std::uint8_t{0x2F}));
  const auto only_size = parse_flash_params(chip::kEsp32s3, "keep", "keep", "16MB");
  EXPECT_EQ(apply_flash_params(only_size, 0x02, 0x2F), std::make_pair(std::uint8_t{0x02}, std::uint8_t{0x4F}));
}

TEST(FlashParams, BadNameListsValidOnes) {
  try {
    parse_flash_params(chip::kEsp32s3, "dio", "80m", "3MB");
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "image.bad_flash_size");
    EXPECT_NE(e.hint().find("4MB"), std::string::npos);
  }
  EXPECT_THROW(parse_flash_params(chip::kEsp32s3, "fast", "80m", "4MB"), BadInputError);
  EXPECT_THROW(parse_flash_params(chip::kEsp32s3, "dio", "120m", "4MB"), BadInputError);
}

}  // namespace
}  // namespace espfab::image
