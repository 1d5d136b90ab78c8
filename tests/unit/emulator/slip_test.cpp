#include "emulator/slip.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

TEST(Slip, EncodeEscapesAndDelimitsEachFrame) {
  EXPECT_EQ(slip_encode(Bytes{0x01, 0xC0, 0xDB, 0x02}), (Bytes{0xC0, 0x01, 0xDB, 0xDC, 0xDB, 0xDD, 0x02, 0xC0}));
  Bytes two;
  slip_encode_append(Bytes{0x01}, two);
  slip_encode_append(Bytes{0x02}, two);
  EXPECT_EQ(two, (Bytes{0xC0, 0x01, 0xC0, 0xC0, 0x02, 0xC0}));  // frames never share a delimiter
}

TEST(Slip, DecoderIgnoresNoiseAndDuplicateDelimiters) {
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  decoder.feed(Bytes{'h', 'i', 0xC0, 0xC0, 0xC0, 0x01, 0xDB, 0xDC, 0xC0, 0x55, 0xC0, 0xDB}, frames);
  decoder.feed(Bytes{0xDD, 0xC0}, frames);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], (Bytes{0x01, 0xC0}));
  EXPECT_EQ(frames[1], (Bytes{0xDB}));
}

TEST(Slip, RoundTripOfEveryByteValue) {
  Bytes payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<std::uint8_t>(i));
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  decoder.feed(slip_encode(payload), frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], payload);
}

TEST(Slip, OversizedFrameIsDroppedAndDecodingRecovers) {
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  Bytes big(SlipDecoder::kMaxFrame + 10, 0x11);
  decoder.feed(slip_encode(big), frames);
  decoder.feed(slip_encode(Bytes{0x22}), frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], Bytes{0x22});
  EXPECT_EQ(decoder.dropped_frames(), 1u);
}

}  // namespace
}  // namespace espfab::emulator
