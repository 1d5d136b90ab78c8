#include "util/bytes.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab {
namespace {

TEST(Hex, RoundTrips) {
  const Bytes bytes{0x00, 0x7c, 0xdf, 0xff};
  EXPECT_EQ(to_hex(bytes), "007cdfff");
  EXPECT_EQ(from_hex("007cdfff"), bytes);
  EXPECT_EQ(from_hex("0x007CDFFF"), bytes);
  EXPECT_EQ(from_hex("00:7c:df:ff"), bytes);
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
  EXPECT_THROW(from_hex("abc"), BadInputError);
  EXPECT_THROW(from_hex("zz"), BadInputError);
  EXPECT_THROW(from_hex("0:0"), BadInputError);  // separator inside a byte
}

TEST(LittleEndian, LoadsAndStores) {
  Bytes buf(8, 0);
  store_le32(buf, 2, 0x40370000);
  store_le16(buf, 6, 0xABCD);
  EXPECT_EQ(load_le32(buf, 2), 0x40370000u);
  EXPECT_EQ(load_le16(buf, 6), 0xABCDu);
  EXPECT_EQ(buf[2], 0x00);
  EXPECT_EQ(buf[5], 0x40);
  Bytes appended;
  append_le32(appended, 0x01020304);
  append_le16(appended, 0x0506);
  EXPECT_EQ(appended, (Bytes{4, 3, 2, 1, 6, 5}));
}

TEST(AlignUp, RoundsToMultiple) {
  EXPECT_EQ(align_up(0, 16), 0u);
  EXPECT_EQ(align_up(1, 16), 16u);
  EXPECT_EQ(align_up(0x10000, 0x10000), 0x10000u);
  EXPECT_EQ(align_up(0x10001, 0x1000), 0x11000u);
}

TEST(ByteReader, ReadsSequentiallyAndReportsTruncation) {
  const Bytes data{0xE9, 0x03, 0x02, 0x2F, 0x00, 0x00, 0x37, 0x40, 0xEE};
  ByteReader reader(data, "image");
  EXPECT_EQ(reader.u8("magic"), 0xE9);
  EXPECT_EQ(reader.u8("segments"), 3);
  EXPECT_EQ(reader.u16("flash params"), 0x2F02);
  EXPECT_EQ(reader.u32("entry"), 0x40370000u);
  EXPECT_EQ(reader.remaining(), 1u);
  try {
    reader.u32("extended header");
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "bytes.truncated");
    EXPECT_NE(e.message().find("extended header needs 4 bytes at offset 0x8, 1 left"), std::string::npos)
        << e.message();
  }
}

TEST(ByteReader, SeekBeyondEndThrows) {
  const Bytes data(4, 0);
  ByteReader reader(data, "table");
  reader.seek(4, "end");
  EXPECT_THROW(reader.seek(5, "past end"), BadInputError);
}

TEST(HexFormat, MatchesEsptoolStyle) {
  EXPECT_EQ(hex32(0x8000), "0x00008000");
  EXPECT_EQ(hex(0x8000), "0x8000");
}

}  // namespace
}  // namespace espfab
