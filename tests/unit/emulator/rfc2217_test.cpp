// The RFC 2217 server session against RFC 854/856 option negotiation and RFC 2217's modem-state
// notifications (issue 21 item 6).
#include "emulator/rfc2217.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

constexpr std::uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251, kSb = 250, kSe = 240;
constexpr std::uint8_t kBinary = 0, kEcho = 1, kSga = 3, kComPort = 44;

Rfc2217Session::Output feed(Rfc2217Session& session, Bytes in) {
  Rfc2217Session::Output out;
  session.feed(in, out);
  return out;
}

const Bytes kModemStateNotification{kIac, kSb, kComPort, 107, Rfc2217Session::kModemState, kIac, kSe};

TEST(Rfc2217Session, AsksForBinaryBothWaysAndTakesTheAnswersWithoutEchoingThem) {
  Rfc2217Session session;
  EXPECT_EQ(session.greeting(), Bytes({kIac, kDo, kBinary, kIac, kWill, kBinary}));
  EXPECT_FALSE(session.client_binary());
  // The client's answers complete our requests: nothing more is said (RFC 854, no loops).
  EXPECT_TRUE(feed(session, {kIac, kWill, kBinary, kIac, kDo, kBinary}).reply.empty());
  EXPECT_TRUE(session.client_binary());
  EXPECT_TRUE(session.server_binary());
  // A request for the state already in force is not answered either.
  EXPECT_TRUE(feed(session, {kIac, kWill, kBinary}).reply.empty());
  // Switching BINARY off is acknowledged once.
  EXPECT_EQ(feed(session, {kIac, kDont, kBinary}).reply, Bytes({kIac, kWont, kBinary}));
  EXPECT_FALSE(session.server_binary());
  EXPECT_TRUE(feed(session, {kIac, kDont, kBinary}).reply.empty());
}

TEST(Rfc2217Session, AcceptsSgaOnceAndRefusesEcho) {
  Rfc2217Session session;
  EXPECT_EQ(feed(session, {kIac, kWill, kSga}).reply, Bytes({kIac, kDo, kSga}));
  EXPECT_TRUE(feed(session, {kIac, kWill, kSga}).reply.empty());
  EXPECT_EQ(feed(session, {kIac, kDo, kEcho}).reply, Bytes({kIac, kWont, kEcho}));
}

TEST(Rfc2217Session, SendsTheModemStateOnceComPortIsAgreedAndOnEveryPoll) {
  Rfc2217Session session;
  Bytes expected{kIac, kDo, kComPort};
  expected.insert(expected.end(), kModemStateNotification.begin(), kModemStateNotification.end());
  EXPECT_EQ(feed(session, {kIac, kWill, kComPort}).reply, expected);
  // pyserial's poll (client NOTIFY-MODEMSTATE without a value): the state, one byte.
  EXPECT_EQ(feed(session, {kIac, kSb, kComPort, 7, kIac, kSe}).reply, kModemStateNotification);
  // SET-MODEMSTATE-MASK is acknowledged with its value and applies to later notifications.
  EXPECT_EQ(feed(session, {kIac, kSb, kComPort, 11, 0x30, kIac, kSe}).reply,
            Bytes({kIac, kSb, kComPort, 111, 0x30, kIac, kSe}));
  EXPECT_EQ(
      feed(session, {kIac, kSb, kComPort, 7, kIac, kSe}).reply,
      Bytes({kIac, kSb, kComPort, 107, static_cast<std::uint8_t>(Rfc2217Session::kModemState & 0x30), kIac, kSe}));
  // A line-state poll gets one value byte too.
  EXPECT_EQ(feed(session, {kIac, kSb, kComPort, 6, kIac, kSe}).reply, Bytes({kIac, kSb, kComPort, 106, 0, kIac, kSe}));
}

}  // namespace
}  // namespace espfab::emulator
