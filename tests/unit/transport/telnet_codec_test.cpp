#include "transport/telnet_codec.hpp"

#include <gtest/gtest.h>

namespace espfab::transport::telnet {
namespace {

TEST(TelnetCodec, EscapeDoublesIac) {
  EXPECT_EQ(escape_data(Bytes{0x01, 0xFF, 0x02, 0xFF, 0xFF}), (Bytes{0x01, 0xFF, 0xFF, 0x02, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(escape_data(Bytes{}), Bytes{});
}

TEST(TelnetCodec, SubnegotiationEscapesPayload) {
  EXPECT_EQ(subnegotiation(kOptionComPort, Bytes{1, 0x00, 0x01, 0xFF, 0x00}),
            (Bytes{0xFF, 0xFA, 44, 1, 0x00, 0x01, 0xFF, 0xFF, 0x00, 0xFF, 0xF0}));
}

TEST(TelnetCodec, DecodesDataNegotiationAndSubnegotiation) {
  Decoder decoder;
  Bytes data;
  std::vector<Event> events;
  const Bytes in{'a', 0xFF, 0xFF, 'b',  0xFF, kDo,  44,   0xFF, 0xFA, 44,
                 101, 0x00, 0x0E, 0x10, 0xFF, 0xFF, 0xFF, 0xF0, 'c'};
  decoder.feed(in, data, events);
  EXPECT_EQ(data, (Bytes{'a', 0xFF, 'b', 'c'}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, Event::Type::Negotiation);
  EXPECT_EQ(events[0].verb, kDo);
  EXPECT_EQ(events[0].option, 44);
  EXPECT_EQ(events[1].type, Event::Type::Subnegotiation);
  EXPECT_EQ(events[1].option, 44);
  EXPECT_EQ(events[1].payload, (Bytes{101, 0x00, 0x0E, 0x10, 0xFF}));
}

TEST(TelnetCodec, SequencesMaySplitAnywhere) {
  const Bytes in{'x', 0xFF, 0xFF, 0xFF, kWill, 3, 0xFF, 0xFA, 44, 105, 8, 0xFF, 0xF0, 'y'};
  for (std::size_t split = 0; split <= in.size(); ++split) {
    Decoder decoder;
    Bytes data;
    std::vector<Event> events;
    decoder.feed(ByteView(in).first(split), data, events);
    decoder.feed(ByteView(in).subspan(split), data, events);
    EXPECT_EQ(data, (Bytes{'x', 0xFF, 'y'})) << split;
    ASSERT_EQ(events.size(), 2u) << split;
    EXPECT_EQ(events[1].payload, (Bytes{105, 8})) << split;
  }
}

TEST(TelnetCodec, OtherCommandsBecomeCommandEvents) {
  Decoder decoder;
  Bytes data;
  std::vector<Event> events;
  decoder.feed(Bytes{0xFF, 241, 'z'}, data, events);  // NOP
  EXPECT_EQ(data, Bytes{'z'});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Event::Type::Command);
  EXPECT_EQ(events[0].verb, 241);
}

}  // namespace
}  // namespace espfab::transport::telnet
