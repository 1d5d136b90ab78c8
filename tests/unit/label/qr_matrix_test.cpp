// The QR symbol from libqrencode: size by payload length, finder patterns where the standard puts them.
#include "label/qr_matrix.hpp"

#include <gtest/gtest.h>

#include <string>

#include "label_test_support.hpp"

namespace espfab::label {
namespace {

// The 7x7 finder pattern with its top-left module at (x0, y0): dark ring, light ring, dark 3x3.
void expect_finder(const QrMatrix& qr, int x0, int y0) {
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 7; ++x) {
      const bool ring = x == 0 || y == 0 || x == 6 || y == 6;
      const bool centre = x >= 2 && x <= 4 && y >= 2 && y <= 4;
      EXPECT_EQ(qr.is_dark(x0 + x, y0 + y), ring || centre)
          << "finder at " << x0 << "," << y0 << " module " << x << "," << y;
    }
  }
}

TEST(label_qr_matrix, SamplePayloadIsVersion4WithFinderPatterns) {
  const QrMatrix qr = encode_qr(test::kSamplePayload);
  ASSERT_EQ(qr.width, 33);  // version 4: 17 + 4 * 4
  ASSERT_EQ(qr.dark.size(), 33u * 33u);
  expect_finder(qr, 0, 0);
  expect_finder(qr, qr.width - 7, 0);
  expect_finder(qr, 0, qr.width - 7);
  // Timing pattern: row 6 between the finders alternates, starting dark.
  for (int x = 8; x < qr.width - 8; ++x) EXPECT_EQ(qr.is_dark(x, 6), x % 2 == 0) << x;
  // The separator around the top-left finder is light.
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(qr.is_dark(7, i));
    EXPECT_FALSE(qr.is_dark(i, 7));
  }
}

TEST(label_qr_matrix, SizeGrowsWithThePayload) {
  EXPECT_EQ(encode_qr("EF1").width, 21);  // version 1
  const std::string longest_serial = "EF1;SN:abcdefghijklmnopqrstuvwxyz-_0123;D:2026-11-23;MAC:7cdfa1000001";
  EXPECT_EQ(encode_qr(longest_serial).width, 37);  // 69 bytes: version 5
  EXPECT_NE(encode_qr("EF1;SN:A;D:2026-11-23;MAC:7cdfa1000001").dark, encode_qr(test::kSamplePayload).dark);
}

TEST(label_qr_matrix, RejectsWhatNoQrCodeHolds) {
  EXPECT_EQ(test::thrown_by([] { encode_qr(std::string(3000, 'x')); }).code(), "label.qr_too_long");
  EXPECT_EQ(test::thrown_by([] { encode_qr(""); }).code(), "label.qr_bad_payload");
  EXPECT_EQ(test::thrown_by([] { encode_qr(std::string("EF1\0x", 5)); }).code(), "label.qr_bad_payload");
}

}  // namespace
}  // namespace espfab::label
