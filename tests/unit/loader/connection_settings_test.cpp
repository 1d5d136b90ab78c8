// The connect path the CLI and the station share: the rule that depends on the port's kind, and
// the link put back at the ROM rate before each connect.
#include "loader/connection_settings.hpp"

#include <gtest/gtest.h>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"

namespace espfab::loader {
namespace {

TEST(ConnectionSettings, Rfc2217PortsUseTheClassicResetOnly) {
  ConnectionSettings settings;
  settings.port = "rfc2217://localhost:4000";
  settings.attempts = 3;
  settings.baud = 460800;
  const auto options = session_options(settings);
  EXPECT_TRUE(options.connect.classic_only);
  EXPECT_EQ(options.connect.attempts, 3u);
  EXPECT_EQ(options.baud, 460800u);
  for (const char* port : {"/dev/ttyUSB0", "socket://localhost:4000"}) {
    settings.port = port;
    EXPECT_FALSE(session_options(settings).connect.classic_only) << port;
  }
}

TEST(ConnectionSettings, OpenSessionStartsAtTheRomRate) {
  test::FakeTransport link;
  test::ScriptedDevice device(link);
  link.set_baud(921600);  // left there by an earlier session
  ConnectionSettings settings;
  settings.port = "socket://localhost:1";
  settings.before = BeforeReset::NoReset;
  settings.baud = 115200;
  std::optional<Session> session;
  open_session(session, link, settings);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(link.baud(), kRomBaud);
  EXPECT_EQ(session->description().name, "ESP32-S3");
}

}  // namespace
}  // namespace espfab::loader
