// `espfab run` and `espfab report` and the station's data dir: one that cannot be created is a file
// error naming it (exit 7), one that another station holds is refused naming the holder (exit 6).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

// The demo's assets (CA, Secure Boot key, signed images, station.toml) with data_dir replaced.
std::filesystem::path profile_with_data_dir(const TempDir& dir, const std::string& data_dir) {
  const auto emulator = build_dir() / "apps" / "espfab-emu" / "espfab-emu";
  const auto demo = run_espfab(
      {"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only", "--emulator", emulator.string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  const auto profile = dir / "station.toml";
  const std::string text = read_text_file(profile);
  write_text_file_atomic(
      profile, std::regex_replace(text, std::regex("data_dir = \"[^\"]*\""), "data_dir = \"" + data_dir + "\""));
  return profile;
}

std::vector<std::string> run_args(const std::filesystem::path& profile) {
  return {"run",     "--profile", profile.string(), "--port", "socket://127.0.0.1:1",
          "--count", "1",         "--idle-timeout", "1",      "--no-rehearsal"};
}

TEST(StationDataDirCli, ADataDirThatCannotBeCreatedIsAFileErrorNamingIt) {
  TempDir dir;
  write_text_file_atomic(dir / "a-file", "not a directory");
  const auto profile = profile_with_data_dir(dir, "a-file/data");
  const auto result = run_espfab(run_args(profile));
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_NE(result.err.find("error[io.filesystem]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find((dir / "a-file" / "data").string()), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("hint: "), std::string::npos) << result.err;
}

TEST(StationDataDirCli, ASecondStationOnTheSameDataDirIsRefusedNamingTheHolder) {
  TempDir dir;
  const auto profile = profile_with_data_dir(dir, "data");
  std::filesystem::create_directories(dir / "data");
  // This process plays the station that holds the data dir.
  const int fd = ::open((dir / "data" / "station.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  struct flock lock {};
  lock.l_type = F_WRLCK;
  ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &lock), 0);
  const std::string holder = "pid " + std::to_string(::getpid()) + " on host test since 2026-12-03T10:00:00.000Z\n";
  ASSERT_EQ(::pwrite(fd, holder.data(), holder.size(), 0), static_cast<ssize_t>(holder.size()));
  auto result = run_espfab(run_args(profile));
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_NE(result.err.find("error[station.data_dir_locked]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(holder.substr(0, holder.size() - 1)), std::string::npos) << result.err;
  ::close(fd);  // released: the next station runs (and finds no device on the port)
  result = run_espfab(run_args(profile));
  EXPECT_EQ(result.err.find("station.data_dir_locked"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace espfab::test
