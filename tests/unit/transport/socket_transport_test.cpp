#include "transport/socket_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::transport {
namespace {

using namespace std::chrono_literals;

TEST(SocketTransport, RoundTripOverSocketPair) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  SocketTransport link(real_system_calls(), UniqueFd(real_system_calls(), pair[0]), "pair");
  link.write(Bytes{1, 2, 3});
  std::uint8_t got[4];
  ASSERT_EQ(::read(pair[1], got, sizeof got), 3);
  ASSERT_EQ(::write(pair[1], "ok", 2), 2);
  std::uint8_t in[4];
  EXPECT_EQ(link.read(in, Deadline(1s)), 2u);
  EXPECT_EQ(link.read(in, Deadline(5ms)), 0u);
  EXPECT_FALSE(link.set_control_lines({true, true}));
  link.set_baud(921600);  // accepted, no effect on a socket
  EXPECT_EQ(link.baud(), 921600u);
  ::close(pair[1]);
  try {
    link.read(in, Deadline(1s));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.hang_up");
  }
}

TEST(SocketTransport, ConnectsToLoopbackListener) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t size = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  const auto port = ntohs(address.sin_port);
  auto link = SocketTransport::connect("127.0.0.1", port);
  const int peer = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  link->write(Bytes{0x55});
  std::uint8_t got = 0;
  EXPECT_EQ(::read(peer, &got, 1), 1);
  EXPECT_EQ(got, 0x55);
  ::close(peer);
  ::close(listener);
  EXPECT_EQ(link->describe(), "socket 127.0.0.1:" + std::to_string(port));
}

TEST(SocketTransport, RefusedConnectionNamesThePeer) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(listener);  // nobody listens there now
  try {
    SocketTransport::connect("127.0.0.1", ntohs(address.sin_port));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.connect_failed");
    EXPECT_NE(e.message().find("127.0.0.1"), std::string::npos);
  }
}

}  // namespace
}  // namespace espfab::transport
