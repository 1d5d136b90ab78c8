#include "transport/serial_transport.hpp"

#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>

#include "support/transport/fake_system_calls.hpp"
#include "transport/termios2.hpp"
#include "util/error.hpp"

namespace espfab::transport {
namespace {

using test::FakeSystemCalls;
using namespace std::chrono_literals;

std::string open_error_code(int error) {
  FakeSystemCalls sys;
  sys.open_error = error;
  try {
    SerialTransport::open("/dev/ttyFAKE", 115200, sys);
  } catch (const Error& e) {
    EXPECT_FALSE(e.hint().empty());
    EXPECT_NE(e.message().find("/dev/ttyFAKE"), std::string::npos);
    return e.code();
  }
  return "no error";
}

TEST(SerialTransport, OpenErrorsSayWhatToDo) {
  EXPECT_EQ(open_error_code(ENOENT), "transport.port_not_found");
  EXPECT_EQ(open_error_code(EACCES), "transport.port_permission");
  EXPECT_EQ(open_error_code(EBUSY), "transport.port_busy");
  EXPECT_EQ(open_error_code(EIO), "transport.open_failed");
}

TEST(SerialTransport, NotATtyIsBadInput) {
  FakeSystemCalls sys;
  sys.tcgetattr_error = ENOTTY;
  EXPECT_THROW(SerialTransport::open("/tmp/file", 115200, sys), BadInputError);
  EXPECT_EQ(sys.closes, 1);  // the fd is closed on the way out
}

TEST(SerialTransport, OpensExclusiveAndSetsAnyBaudWithTermios2) {
  FakeSystemCalls sys;
  std::vector<std::uint32_t> speeds;
  sys.on_ioctl = [&](unsigned long request, void* argument) {
    if (request == detail::termios2_set_request()) {
      speeds.push_back(detail::termios2_custom_speed(argument));
    }
    return 0;
  };
  auto port = SerialTransport::open("/dev/ttyFAKE", 115200, sys);
  EXPECT_EQ(sys.ioctl_requests.front(), static_cast<unsigned long>(TIOCEXCL));
  port->set_baud(1'234'567);
  EXPECT_EQ(speeds, (std::vector<std::uint32_t>{115200, 1'234'567}));
  EXPECT_EQ(port->baud(), 1'234'567u);
  EXPECT_EQ(port->describe(), "serial /dev/ttyFAKE @1234567");
}

TEST(SerialTransport, BaudFailureIsIoError) {
  FakeSystemCalls sys;
  auto port = SerialTransport::open("/dev/ttyFAKE", 115200, sys);
  sys.on_ioctl = [](unsigned long, void*) {
    errno = EINVAL;
    return -1;
  };
  try {
    port->set_baud(3'000'000);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.baud_failed");
  }
}

TEST(SerialTransport, ControlLinesUseModemIoctls) {
  FakeSystemCalls sys;
  int modem = 0;
  sys.on_ioctl = [&](unsigned long request, void* argument) {
    int* bits = static_cast<int*>(argument);
    if (request == TIOCMBIS) modem |= *bits;
    if (request == TIOCMBIC) modem &= ~*bits;
    if (request == TIOCMGET) *bits = modem;
    if (request == TIOCMSET) modem = *bits;
    return 0;
  };
  auto port = SerialTransport::open("/dev/ttyFAKE", 115200, sys);
  EXPECT_TRUE(port->set_control_lines({true, std::nullopt}));
  EXPECT_EQ(modem, TIOCM_DTR);
  EXPECT_TRUE(port->set_control_lines({false, true}));
  EXPECT_EQ(modem, TIOCM_RTS);
  EXPECT_EQ(sys.ioctl_requests.back(), static_cast<unsigned long>(TIOCMSET));
  EXPECT_TRUE(port->set_control_lines({std::nullopt, false}));
  EXPECT_EQ(modem, 0);
}

TEST(SerialTransport, ControlLinesNotSupportedOnPtyLikeDevices) {
  FakeSystemCalls sys;
  auto port = SerialTransport::open("/dev/pts/9", 115200, sys);
  sys.on_ioctl = [](unsigned long, void*) {
    errno = ENOTTY;
    return -1;
  };
  EXPECT_FALSE(port->set_control_lines({true, std::nullopt}));
  const auto calls = sys.ioctl_requests.size();
  EXPECT_FALSE(port->set_control_lines({false, std::nullopt}));
  EXPECT_EQ(sys.ioctl_requests.size(), calls);  // remembered, not retried
}

TEST(SerialTransport, DrainFlushesKernelQueueAndPending) {
  FakeSystemCalls sys;
  auto port = SerialTransport::open("/dev/ttyFAKE", 115200, sys);
  const int before = sys.tcflushes;
  sys.polls = {{1, 0, 0}};
  sys.reads = {{0, 0, Bytes{1, 2}}};
  port->drain_input();
  EXPECT_EQ(sys.tcflushes, before + 1);
  EXPECT_TRUE(sys.reads.empty());
}

TEST(SerialTransport, RealPtyRoundTrip) {
  int master = -1;
  int slave = -1;
  char name[128];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  ::close(slave);
  {
    auto port = SerialTransport::open(name, 921600);
    port->write(Bytes{0xC0, 0x00, 0xFF, 0xC0});
    std::uint8_t got[8];
    ssize_t n = 0;
    for (int i = 0; i < 100 && n <= 0; ++i) n = ::read(master, got, sizeof got);
    ASSERT_EQ(n, 4);
    EXPECT_EQ(got[2], 0xFF);
    const std::uint8_t reply[] = {1, 2, 3};
    ASSERT_EQ(::write(master, reply, 3), 3);
    std::uint8_t in[8];
    EXPECT_EQ(port->read(in, Deadline(2s)), 3u);
    EXPECT_EQ(in[1], 2);
    EXPECT_EQ(port->read(in, Deadline(10ms)), 0u);
    EXPECT_FALSE(port->set_control_lines({true, true}));  // ptys have no modem lines
    // A second open of the same pty fails: TIOCEXCL (root may bypass it).
    if (::geteuid() != 0) {
      EXPECT_THROW(SerialTransport::open(name, 115200), Error);
    }
  }
  ::close(master);
}

}  // namespace
}  // namespace espfab::transport
