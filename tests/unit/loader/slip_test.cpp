#include "loader/slip.hpp"

#include <gtest/gtest.h>

namespace espfab::loader {
namespace {

TEST(SlipEncode, EscapesEndAndEscBytes) {
  EXPECT_EQ(slip_encode(Bytes{0x01, 0xC0, 0x02, 0xDB, 0x03}),
            (Bytes{0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0}));
  EXPECT_EQ(slip_encode(Bytes{}), (Bytes{0xC0, 0xC0}));
  EXPECT_EQ(slip_encoded_size(Bytes{0xC0, 0xDB, 0x00}), 7u);
}

TEST(SlipDecoder, RoundTripsEveryByteValue) {
  Bytes payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<std::uint8_t>(i));
  SlipDecoder decoder;
  decoder.feed(slip_encode(payload));
  auto frame = decoder.pop_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame, payload);
  EXPECT_FALSE(decoder.pop_frame());
}

TEST(SlipDecoder, FramesSplitAcrossFeeds) {
  const Bytes wire = slip_encode(Bytes{0xC0, 0xDB, 0x11});
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    SlipDecoder decoder;
    decoder.feed(ByteView(wire).first(split));
    decoder.feed(ByteView(wire).subspan(split));
    auto frame = decoder.pop_frame();
    ASSERT_TRUE(frame) << split;
    EXPECT_EQ(*frame, (Bytes{0xC0, 0xDB, 0x11}));
  }
}

TEST(SlipDecoder, TextBetweenFramesIsNoise) {
  SlipDecoder decoder;
  const std::string log = "ESP-ROM:esp32s3-20210327\r\nwaiting for download\r\n";
  decoder.feed(to_bytes(log));
  decoder.feed(Bytes{0xC0, 0x01, 0x02, 0xC0});
  EXPECT_EQ(decoder.take_noise(), log);
  EXPECT_EQ(decoder.pop_frame(), (Bytes{0x01, 0x02}));
  EXPECT_EQ(decoder.take_noise(), "");
}

TEST(SlipDecoder, EmptyFramesAndDoubledDelimitersAreSkipped) {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0xC0, 0xC0, 0x05, 0xC0, 0xC0, 0x06, 0xC0});
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x05});
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x06});
  EXPECT_FALSE(decoder.has_frame());
}

TEST(SlipDecoder, ResynchronisesAfterStartingMidFrame) {
  SlipDecoder decoder;
  decoder.feed(Bytes{0x33, 0x44, 0xC0, 0xC0, 0x07, 0xC0});  // tail of a stale frame, then a whole one
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x07});
}

TEST(SlipDecoder, BrokenEscapeDropsTheFrameAndCountsIt) {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x01, 0xDB, 0x42, 0x02, 0xC0, 0xC0, 0x09, 0xC0});
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x09});
  EXPECT_EQ(decoder.dropped_frames(), 1u);
  decoder.feed(Bytes{0xC0, 0x01, 0xDB, 0xC0, 0xC0, 0x0A, 0xC0});  // DB C0 ends a broken frame
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x0A});
  EXPECT_EQ(decoder.dropped_frames(), 2u);
}

TEST(SlipDecoder, OversizedFrameIsDropped) {
  SlipDecoder decoder;
  Bytes wire{0xC0};
  wire.insert(wire.end(), SlipDecoder::kMaxFrame + 10, 0x11);
  wire.push_back(0xC0);
  decoder.feed(wire);
  EXPECT_FALSE(decoder.has_frame());
  EXPECT_EQ(decoder.dropped_frames(), 1u);
}

TEST(SlipDecoder, ResetForgetsPartialFrames) {
  SlipDecoder decoder;
  decoder.feed(Bytes{0xC0, 0x01, 0x02});
  decoder.reset();
  decoder.feed(Bytes{0xC0, 0x03, 0xC0});
  EXPECT_EQ(decoder.pop_frame(), Bytes{0x03});
}

}  // namespace
}  // namespace espfab::loader
