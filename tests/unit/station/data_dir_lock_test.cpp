#include "station/data_dir_lock.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

std::string refusal(const std::filesystem::path& dir) {
  try {
    DataDirLock second(dir);
  } catch (const PolicyRefusalError& e) {
    EXPECT_EQ(e.code(), "station.data_dir_locked");
    EXPECT_FALSE(e.hint().empty());
    return e.message();
  }
  ADD_FAILURE() << "a second lock on " << dir << " was granted";
  return {};
}

TEST(DataDirLock, ASecondStationInTheSameProcessIsRefusedUntilTheFirstEnds) {
  test::TempDir dir;
  std::optional<DataDirLock> first(dir.path());
  const std::string message = refusal(dir.path());
  EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
  EXPECT_NE(message.find("pid " + std::to_string(::getpid()) + " on host "), std::string::npos) << message;
  EXPECT_NE(message.find(" since 20"), std::string::npos) << message;
  first.reset();
  EXPECT_NO_THROW(DataDirLock again(dir.path()));
}

TEST(DataDirLock, AnotherProcessHoldsItUntilItIsKilled) {
  test::TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  // A fork, not util's Subprocess: the other process must run DataDirLock itself (this library
  // code, in a unit test with no binary that only takes the lock), then be killed holding it.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      DataDirLock held(dir.path());
      [[maybe_unused]] const ssize_t n = ::write(ready[1], "L", 1);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child could not take the lock";
  ::close(ready[0]);
  const std::string message = refusal(dir.path());
  EXPECT_NE(message.find("pid " + std::to_string(child) + " on host "), std::string::npos) << message;
  // Killed, not shut down: the kernel releases the lock.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_NO_THROW(DataDirLock after(dir.path()));
}

TEST(DataDirLock, ADataDirThatIsNotADirectoryIsAnIoErrorNamingIt) {
  test::TempDir dir;
  EXPECT_THROW(DataDirLock lock(dir / "missing"), IoError);
}

}  // namespace
}  // namespace espfab::station
