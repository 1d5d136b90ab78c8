#include "transport/rfc2217_transport.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::transport {
namespace {

using namespace std::chrono_literals;
using test::FakeTransport;

const Bytes kClientHello{0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00, 0xFF, 0xFB, 0x03, 0xFF, 0xFD, 0x03, 0xFF, 0xFB, 0x2C};

bool starts_with(ByteView bytes, const Bytes& prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// A scripted RFC 2217 server (like ser2net): accepts the options, confirms baud rates.
struct ScriptedServer {
  FakeTransport* link = nullptr;
  bool accept_com_port = true;
  bool confirm_baud = true;
  std::vector<Bytes> commands;  // COM-PORT-OPTION sub-negotiations received (payload)

  void attach(FakeTransport& fake) {
    link = &fake;
    fake.set_responder([this](ByteView written) { on_write(written); });
  }

  void on_write(ByteView written) {
    if (starts_with(written, kClientHello)) {
      link->push_input(Bytes{0xFF, 0xFD, 0x00, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x03, 0xFF, 0xFB, 0x03});
      link->push_input(Bytes{0xFF, static_cast<std::uint8_t>(accept_com_port ? 0xFD : 0xFE), 0x2C});
      return;
    }
    if (starts_with(written, Bytes{0xFF, 0xFA, 0x2C})) {
      Bytes payload;  // undo IAC doubling, drop IAC SE
      for (std::size_t i = 3; i + 2 < written.size(); ++i) {
        payload.push_back(written[i]);
        if (written[i] == 0xFF) ++i;
      }
      commands.push_back(payload);
      if (payload[0] == rfc2217::kSetBaudrate && confirm_baud) {
        Bytes reply{0xFF, 0xFA, 0x2C, 101};
        for (std::size_t i = 1; i < payload.size(); ++i) {
          reply.push_back(payload[i]);
          if (payload[i] == 0xFF) reply.push_back(0xFF);
        }
        reply.insert(reply.end(), {0xFF, 0xF0});
        link->push_input(reply);
      }
    }
  }
};

struct Rfc2217Test : ::testing::Test {
  ScriptedServer server;
  FakeTransport* link = nullptr;

  std::unique_ptr<Rfc2217Transport> open(std::uint32_t baud = 115200) {
    auto fake = std::make_unique<FakeTransport>();
    link = fake.get();
    server.attach(*fake);
    Rfc2217Transport::Options options;
    options.baud = baud;
    options.negotiation_timeout = 50ms;
    return std::make_unique<Rfc2217Transport>(std::move(fake), "server:4000", options);
  }
};

TEST_F(Rfc2217Test, NegotiatesComPortThenSetsLineAndBaud) {
  auto port = open(115200);
  EXPECT_TRUE(starts_with(link->written(), kClientHello));
  ASSERT_EQ(server.commands.size(), 4u);
  EXPECT_EQ(server.commands[0], (Bytes{2, 8}));                       // SET-DATASIZE 8
  EXPECT_EQ(server.commands[1], (Bytes{3, 1}));                       // SET-PARITY NONE
  EXPECT_EQ(server.commands[2], (Bytes{4, 1}));                       // SET-STOPSIZE 1
  EXPECT_EQ(server.commands[3], (Bytes{1, 0x00, 0x01, 0xC2, 0x00}));  // SET-BAUDRATE 115200, big-endian
  EXPECT_EQ(port->confirmed_baud(), 115200u);
  EXPECT_EQ(port->describe(), "rfc2217 server:4000");
}

TEST_F(Rfc2217Test, AcknowledgementsGetNoReplySoNegotiationDoesNotLoop) {
  auto port = open();
  // Only the hello and the four sub-negotiations were written: no WILL/DO answers to acks.
  EXPECT_EQ(link->events().size(), 5u);
}

TEST_F(Rfc2217Test, BaudChangeIsSentAndConfirmed) {
  auto port = open();
  port->set_baud(921600);
  EXPECT_EQ(server.commands.back(), (Bytes{1, 0x00, 0x0E, 0x10, 0x00}));
  EXPECT_EQ(port->confirmed_baud(), 921600u);
  EXPECT_EQ(port->baud(), 921600u);
}

TEST_F(Rfc2217Test, BaudWithFfByteIsEscapedInSubnegotiation) {
  auto port = open();
  link->clear_written();
  port->set_baud(0x0001C2FF);
  EXPECT_EQ(link->written(), (Bytes{0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x01, 0xC2, 0xFF, 0xFF, 0xFF, 0xF0}));
  EXPECT_EQ(port->confirmed_baud(), 0x0001C2FFu);
}

TEST_F(Rfc2217Test, UnconfirmedBaudIsToleratedWithWarning) {
  server.confirm_baud = false;
  auto port = open();
  EXPECT_FALSE(port->confirmed_baud().has_value());
  EXPECT_EQ(port->baud(), 115200u);
}

TEST_F(Rfc2217Test, ControlLinesAreSetControlCommands) {
  auto port = open();
  server.commands.clear();
  EXPECT_TRUE(port->set_control_lines({true, false}));
  EXPECT_TRUE(port->set_control_lines({false, true}));
  EXPECT_EQ(server.commands, (std::vector<Bytes>{{5, 8}, {5, 12}, {5, 9}, {5, 11}}));
}

TEST_F(Rfc2217Test, DrainPurgesServerReceiveBufferAndDropsLocalData) {
  auto port = open();
  link->push_input(Bytes{'b', 'o', 'o', 't'});
  server.commands.clear();
  port->drain_input();
  EXPECT_EQ(server.commands, (std::vector<Bytes>{{12, 1}}));
  std::uint8_t buffer[8];
  EXPECT_EQ(port->read(buffer, Deadline(0ms)), 0u);
}

TEST_F(Rfc2217Test, DataIsEscapedBothWays) {
  auto port = open();
  link->clear_written();
  port->write(Bytes{0xC0, 0xFF, 0x01});
  EXPECT_EQ(link->written(), (Bytes{0xC0, 0xFF, 0xFF, 0x01}));
  // Incoming: IAC IAC is one 0xFF; interleaved notifications are consumed.
  link->push_input(Bytes{0x01, 0xFF, 0xFF, 0xFF, 0xFA, 0x2C, 107, 0x30, 0xFF, 0xF0, 0x02});
  std::uint8_t buffer[8];
  std::size_t total = 0;
  while (const std::size_t got = port->read(std::span(buffer + total, sizeof buffer - total), Deadline(0ms))) {
    total += got;
  }
  ASSERT_EQ(total, 3u);
  EXPECT_EQ(buffer[0], 0x01);
  EXPECT_EQ(buffer[1], 0xFF);
  EXPECT_EQ(buffer[2], 0x02);
}

TEST_F(Rfc2217Test, UnknownOptionsAreRefused) {
  auto port = open();
  link->clear_written();
  link->push_input(Bytes{0xFF, 0xFD, 24, 0xFF, 0xFB, 1, 'x'});  // DO TERMINAL-TYPE, WILL ECHO
  std::uint8_t buffer[4];
  EXPECT_EQ(port->read(buffer, Deadline(0ms)), 1u);
  EXPECT_EQ(link->written(), (Bytes{0xFF, 0xFC, 24, 0xFF, 0xFE, 1}));
}

TEST_F(Rfc2217Test, RefusedComPortIsProtocolError) {
  server.accept_com_port = false;
  try {
    open();
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), "transport.rfc2217_refused");
    EXPECT_NE(e.hint().find("socket://"), std::string::npos);
  }
}

TEST(Rfc2217, SilentServerTimesOut) {
  auto fake = std::make_unique<FakeTransport>();
  Rfc2217Transport::Options options;
  options.negotiation_timeout = 20ms;
  try {
    Rfc2217Transport port(std::move(fake), "mute:1", options);
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.code(), "transport.rfc2217_no_negotiation");
  }
}

}  // namespace
}  // namespace espfab::transport
