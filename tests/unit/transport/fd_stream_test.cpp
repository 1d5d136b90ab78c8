#include "transport/fd_stream.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "support/transport/fake_system_calls.hpp"
#include "util/error.hpp"

namespace espfab::transport {
namespace {

using test::FakeSystemCalls;
using namespace std::chrono_literals;

struct FdStreamTest : ::testing::Test {
  FakeSystemCalls sys;
  FdStream stream{sys, UniqueFd(sys, 7), "test link"};
};

TEST_F(FdStreamTest, ReadRetriesEintrFromPollAndEagainFromRead) {
  sys.polls = {{-1, EINTR, 0}, {1, 0, 0}, {1, 0, 0}};
  sys.reads = {{-1, EAGAIN, {}}, {0, 0, Bytes{1, 2, 3}}};
  std::uint8_t buffer[8];
  EXPECT_EQ(stream.read(buffer, Deadline(1s)), 3u);
  EXPECT_EQ(buffer[2], 3);
}

TEST_F(FdStreamTest, ReadReturnsZeroWhenDeadlinePasses) {
  std::uint8_t buffer[8];
  EXPECT_EQ(stream.read(buffer, Deadline(0ms)), 0u);
}

TEST_F(FdStreamTest, ReadOfZeroBytesIsHangUp) {
  sys.polls = {{1, 0, 0}};
  sys.reads = {{0, 0, {}}};
  std::uint8_t buffer[8];
  try {
    stream.read(buffer, Deadline(1s));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.hang_up");
    EXPECT_NE(e.message().find("test link"), std::string::npos);
  }
}

TEST_F(FdStreamTest, PollHangUpWithoutDataIsHangUp) {
  sys.polls = {{1, 0, POLLHUP}};
  std::uint8_t buffer[8];
  EXPECT_THROW(stream.read(buffer, Deadline(1s)), IoError);
}

TEST_F(FdStreamTest, EioFromReadIsHangUp) {
  sys.polls = {{1, 0, 0}};
  sys.reads = {{-1, EIO, {}}};
  std::uint8_t buffer[8];
  try {
    stream.read(buffer, Deadline(1s));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.hang_up");
  }
}

TEST_F(FdStreamTest, OtherReadErrorsNameTheCall) {
  sys.polls = {{1, 0, 0}};
  sys.reads = {{-1, EBADF, {}}};
  std::uint8_t buffer[8];
  try {
    stream.read(buffer, Deadline(1s));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.os_error");
    EXPECT_NE(e.message().find("read"), std::string::npos);
    EXPECT_NE(e.message().find("EBADF"), std::string::npos);
  }
}

TEST_F(FdStreamTest, WriteAllJoinsShortWritesAndRetries) {
  sys.writes = {{2, 0, {}}, {-1, EINTR, {}}, {-1, EAGAIN, {}}, {1, 0, {}}};
  sys.polls = {{-1, EINTR, 0}, {1, 0, 0}};
  stream.write_all(Bytes{1, 2, 3, 4, 5});
  EXPECT_EQ(sys.written, (Bytes{1, 2, 3, 4, 5}));
}

TEST_F(FdStreamTest, WriteToClosedPeerIsHangUp) {
  sys.writes = {{-1, EPIPE, {}}};
  try {
    stream.write_all(Bytes{1});
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), "transport.hang_up");
  }
}

TEST_F(FdStreamTest, StalledWriteTimesOut) {
  sys.writes = {{-1, EAGAIN, {}}};
  try {
    stream.write_all(Bytes{1, 2}, 5ms);
    FAIL();
  } catch (const TimeoutError& e) {
    EXPECT_EQ(e.code(), "transport.write_timeout");
  }
}

TEST_F(FdStreamTest, WriteSeesHangUpWhileWaiting) {
  sys.writes = {{-1, EAGAIN, {}}};
  sys.polls = {{1, 0, POLLERR}};
  EXPECT_THROW(stream.write_all(Bytes{1}), IoError);
}

TEST_F(FdStreamTest, DiscardReadsUntilNothingPending) {
  sys.polls = {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}};
  sys.reads = {{0, 0, Bytes(600, 0xAA)}, {-1, EAGAIN, {}}};
  stream.discard_pending();
  EXPECT_TRUE(sys.reads.empty());
}

TEST(UniqueFd, ClosesOnceThroughTheSeam) {
  FakeSystemCalls sys;
  {
    UniqueFd a(sys, 5);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), 5);
  }
  EXPECT_EQ(sys.closes, 1);
}

}  // namespace
}  // namespace espfab::transport
