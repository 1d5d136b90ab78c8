#include "util/subprocess.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab {
namespace {

using namespace std::chrono_literals;

// Generous: a loaded 2-core machine must never make these fail; they only bound a hang.
Deadline generous() { return Deadline(20s); }

Subprocess shell(const std::string& script, SpawnOptions options = {}) {
  options.argv = {"/bin/sh", "-c", script};
  return Subprocess(std::move(options));
}

// True once `pid` has ended (exited, or gone altogether), waiting up to `budget`.
bool ended_within(pid_t pid, std::chrono::milliseconds budget) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd exited{fd, POLLIN, 0};
  const int ready = ::poll(&exited, 1, static_cast<int>(budget.count()));
  ::close(fd);
  return ready == 1;
}

TEST(Subprocess, ReadsLinesThenTheEnd) {
  auto child = shell("echo one; echo two; printf three");
  EXPECT_EQ(child.read_line(generous()), "one");
  EXPECT_EQ(child.read_line(generous()), "two");
  EXPECT_EQ(child.read_line(generous()), "three");  // the last line without '\n'
  EXPECT_EQ(child.read_line(generous()), std::nullopt);
  EXPECT_EQ(child.wait(generous()), 0);
  EXPECT_FALSE(child.running());
}

TEST(Subprocess, ReportsTheExitCode) {
  auto child = shell("exit 7");
  EXPECT_EQ(child.wait(generous()), 7);
  EXPECT_EQ(child.wait(Deadline(0ms)), 7);  // asked again: the same answer
}

TEST(Subprocess, ReportsASignalAs128Plus) {
  auto child = shell("kill -KILL $$");
  EXPECT_EQ(child.wait(generous()), 128 + SIGKILL);
}

TEST(Subprocess, ReadLineTimesOut) {
  auto child = shell("echo started; exec sleep 60");
  EXPECT_EQ(child.read_line(generous()), "started");
  const auto started = std::chrono::steady_clock::now();
  test::expect_error<TimeoutError>([&] { child.read_line(Deadline(200ms)); }, "util.subprocess_timeout");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_EQ(child.terminate(), 128 + SIGTERM);
}

TEST(Subprocess, WaitTimesOutWhileTheChildRuns) {
  auto child = shell("exec sleep 60");
  EXPECT_EQ(child.wait(Deadline(100ms)), std::nullopt);
  EXPECT_TRUE(child.running());
  EXPECT_EQ(child.terminate(), 128 + SIGTERM);
  EXPECT_FALSE(child.running());
}

TEST(Subprocess, TerminateKillsWhatIgnoresSigterm) {
  auto child = shell("trap '' TERM; echo ready; while :; do sleep 1; done");
  EXPECT_EQ(child.read_line(generous()), "ready");
  EXPECT_EQ(child.terminate(200ms), 128 + SIGKILL);
}

TEST(Subprocess, TerminateLeavesNoGrandchild) {
  // The grandchild ignores SIGTERM and outlives its parent: only the SIGKILL to the whole process
  // group after the grace period ends it.
  auto child = shell("(trap '' TERM; exec sleep 60) & echo $!; wait");
  const auto line = child.read_line(generous());
  ASSERT_TRUE(line.has_value());
  const pid_t grandchild = std::stoi(*line);
  EXPECT_FALSE(ended_within(grandchild, 0ms));
  EXPECT_EQ(child.terminate(300ms), 128 + SIGTERM);
  EXPECT_TRUE(ended_within(grandchild, 5000ms));
}

TEST(Subprocess, DestructorKillsAndReaps) {
  pid_t pid = -1;
  {
    auto child = shell("exec sleep 60");
    pid = child.pid();
    ASSERT_GT(pid, 0);
  }
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);  // already reaped: no zombie left
}

TEST(Subprocess, AddsEnvironmentAndRunsInTheGivenDirectory) {
  test::TempDir dir;
  SpawnOptions options;
  options.env = {"ESPFAB_SUBPROCESS_TEST=hello", "HOME=/nowhere"};
  options.cwd = dir.path();
  auto child = shell("echo \"$ESPFAB_SUBPROCESS_TEST\"; echo \"$HOME\"; pwd -P; echo \"$PATH\"", options);
  EXPECT_EQ(child.read_line(generous()), "hello");
  EXPECT_EQ(child.read_line(generous()), "/nowhere");  // replaced, not added twice
  EXPECT_EQ(child.read_line(generous()), std::filesystem::canonical(dir.path()).string());
  EXPECT_EQ(child.read_line(generous()), std::string(::getenv("PATH")));  // the rest is inherited
  EXPECT_EQ(child.wait(generous()), 0);
}

TEST(Subprocess, ReadsStdoutAndStderrApart) {
  SpawnOptions options;
  options.err = Redirect::pipe();
  auto child = shell("echo out; echo err >&2; echo more", options);
  const auto output = child.read_to_end(generous());
  EXPECT_EQ(output.out, "out\nmore\n");
  EXPECT_EQ(output.err, "err\n");
  EXPECT_EQ(child.wait(generous()), 0);
}

TEST(Subprocess, ReadsStderrLines) {
  SpawnOptions options;
  options.err = Redirect::pipe();
  auto child = shell("echo first >&2; echo out; echo second >&2", options);
  EXPECT_EQ(child.read_line(generous(), Subprocess::Stream::Err), "first");
  EXPECT_EQ(child.read_line(generous(), Subprocess::Stream::Err), "second");
  EXPECT_EQ(child.read_line(generous()), "out");  // kept while stderr was read
}

TEST(Subprocess, WritesToALogFile) {
  test::TempDir dir;
  const auto log = dir / "child.log";
  write_text_file_atomic(log, "old\n");
  SpawnOptions options;
  options.out = Redirect::file(log);
  options.err = Redirect::to_stdout();
  auto appended = shell("echo out; echo err >&2", options);
  EXPECT_EQ(appended.wait(generous()), 0);
  EXPECT_EQ(read_text_file(log), "old\nout\nerr\n");
  options.out = Redirect::file(log, false);
  options.err = Redirect::null();
  auto truncated = shell("echo new; echo hidden >&2", options);
  EXPECT_EQ(truncated.wait(generous()), 0);
  EXPECT_EQ(read_text_file(log), "new\n");
}

TEST(Subprocess, StdinIsEmpty) {
  auto child = shell("cat; echo end");
  EXPECT_EQ(child.read_line(generous()), "end");
}

TEST(Subprocess, RunsInItsOwnProcessGroup) {
  auto child = shell("exec sleep 60");
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
}

TEST(Subprocess, UnknownProgramIsAnIoError) {
  SpawnOptions options;
  options.argv = {"/nonexistent/espfab-no-such-program"};
  test::expect_error<IoError>([&] { const Subprocess child(options); }, "util.spawn_failed");
  options.argv = {};
  test::expect_error<BadInputError>([&] { const Subprocess child(options); }, "util.spawn_argv");
}

TEST(Subprocess, FindsProgramsOnPath) {
  SpawnOptions options;
  options.argv = {"sh", "-c", "echo found"};
  Subprocess child(options);
  EXPECT_EQ(child.read_line(generous()), "found");
}

}  // namespace
}  // namespace espfab
