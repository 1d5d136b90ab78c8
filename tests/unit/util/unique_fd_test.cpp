#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

namespace espfab {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::array<int, 2> make_pipe() {
  std::array<int, 2> ends{-1, -1};
  EXPECT_EQ(::pipe2(ends.data(), O_CLOEXEC), 0);
  return ends;
}

class RecordingCloser : public FdCloser {
 public:
  int close(int fd) override {
    closed.push_back(fd);
    return 0;
  }
  std::vector<int> closed;
};

TEST(UniqueFd, ClosesOnDestruction) {
  const auto ends = make_pipe();
  {
    const UniqueFd read_end(ends[0]);
    const UniqueFd write_end(ends[1]);
    EXPECT_TRUE(read_end.valid());
    EXPECT_TRUE(static_cast<bool>(write_end));
    EXPECT_EQ(read_end.get(), ends[0]);
  }
  EXPECT_FALSE(is_open(ends[0]));
  EXPECT_FALSE(is_open(ends[1]));
}

TEST(UniqueFd, EmptyOwnsNothing) {
  const UniqueFd none;
  EXPECT_FALSE(none.valid());
  EXPECT_FALSE(static_cast<bool>(none));
  EXPECT_EQ(none.get(), -1);
}

TEST(UniqueFd, ReleaseGivesUpWithoutClosing) {
  const auto ends = make_pipe();
  int taken = -1;
  {
    UniqueFd read_end(ends[0]);
    taken = read_end.release();
    EXPECT_FALSE(read_end.valid());
  }
  EXPECT_EQ(taken, ends[0]);
  EXPECT_TRUE(is_open(taken));
  ::close(ends[0]);
  ::close(ends[1]);
}

TEST(UniqueFd, ResetClosesTheOldDescriptorAndTakesTheNew) {
  const auto ends = make_pipe();
  UniqueFd owner(ends[0]);
  owner.reset(ends[1]);
  EXPECT_FALSE(is_open(ends[0]));
  EXPECT_EQ(owner.get(), ends[1]);
  owner.reset();
  EXPECT_FALSE(is_open(ends[1]));
  EXPECT_FALSE(owner.valid());
}

TEST(UniqueFd, MoveTransfersOwnership) {
  const auto ends = make_pipe();
  UniqueFd first(ends[0]);
  UniqueFd second(std::move(first));
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(second.get(), ends[0]);
  UniqueFd third(ends[1]);
  third = std::move(second);  // closes what third held
  EXPECT_FALSE(is_open(ends[1]));
  EXPECT_EQ(third.get(), ends[0]);
  EXPECT_TRUE(is_open(ends[0]));
}

TEST(UniqueFd, ClosesThroughTheGivenCloser) {
  RecordingCloser closer;
  {
    UniqueFd fake(closer, 7);
    UniqueFd moved(std::move(fake));
    moved.reset(8);  // the closer stays with the owner
  }
  EXPECT_EQ(closer.closed, (std::vector<int>{7, 8}));
}

TEST(UniqueFd, CloseFdReportsOnlyRealFailures) {
  const auto ends = make_pipe();
  EXPECT_EQ(close_fd(ends[0]), 0);
  EXPECT_EQ(close_fd(ends[1]), 0);
  errno = 0;
  EXPECT_EQ(close_fd(ends[1]), -1);
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace espfab
