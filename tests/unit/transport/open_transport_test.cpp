#include "transport/open_transport.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::transport {
namespace {

TEST(PortUrl, DevicePathIsSerial) {
  const auto url = parse_port_url("/dev/ttyUSB0");
  EXPECT_EQ(url.scheme, PortUrl::Scheme::Serial);
  EXPECT_EQ(url.path, "/dev/ttyUSB0");
  EXPECT_EQ(parse_port_url("serial:/dev/ttyACM1").path, "/dev/ttyACM1");
}

TEST(PortUrl, SocketAndRfc2217HostPort) {
  const auto socket = parse_port_url("socket://127.0.0.1:5555");
  EXPECT_EQ(socket.scheme, PortUrl::Scheme::Socket);
  EXPECT_EQ(socket.host, "127.0.0.1");
  EXPECT_EQ(socket.port, 5555);
  const auto rfc = parse_port_url("rfc2217://fixture-3.lan:4001?ign_set_control");
  EXPECT_EQ(rfc.scheme, PortUrl::Scheme::Rfc2217);
  EXPECT_EQ(rfc.host, "fixture-3.lan");
  EXPECT_EQ(rfc.port, 4001);
  const auto v6 = parse_port_url("socket://[::1]:7000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 7000);
}

TEST(PortUrl, RejectsBadUrls) {
  for (const char* bad : {"", "socket://host", "socket://:80", "rfc2217://h:0", "rfc2217://h:70000", "rfc2217://h:12x",
                          "ftp://h:1", "serial:", "socket://[::1]7000"}) {
    try {
      parse_port_url(bad);
      ADD_FAILURE() << bad;
    } catch (const BadInputError& e) {
      EXPECT_EQ(e.code(), "transport.bad_url") << bad;
      EXPECT_FALSE(e.hint().empty());
    }
  }
}

}  // namespace
}  // namespace espfab::transport
