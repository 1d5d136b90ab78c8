#include "util/file_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab {
namespace {

TEST(FileIo, AtomicWriteThenRead) {
  test::TempDir dir;
  const Bytes data{1, 2, 3, 4, 5};
  write_file_atomic(dir / "out.bin", data);
  EXPECT_EQ(read_file(dir / "out.bin"), data);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});  // no temporary left
}

TEST(FileIo, ReplacesExistingFileWhole) {
  test::TempDir dir;
  write_text_file_atomic(dir / "a.txt", "first version, longer");
  write_text_file_atomic(dir / "a.txt", "second");
  EXPECT_EQ(read_text_file(dir / "a.txt"), "second");
}

TEST(FileIo, AppliesMode) {
  test::TempDir dir;
  write_text_file_atomic(dir / "secret.pem", "x", 0600);
  struct stat info {};
  ASSERT_EQ(::stat((dir / "secret.pem").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(FileIo, MissingFileNamesPath) {
  try {
    read_file("/nonexistent/espfab/file.bin");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(e.message().find("/nonexistent/espfab/file.bin"), std::string::npos);
    EXPECT_EQ(e.hint(), "check the path");
  }
}

TEST(FileIo, WriteIntoMissingDirectoryFailsCleanly) {
  test::TempDir dir;
  EXPECT_THROW(write_text_file_atomic(dir / "no" / "such" / "f.txt", "x"), IoError);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(FileIo, DirectoryIsNotAFile) { EXPECT_THROW(read_file("/tmp"), IoError); }

TEST(FileIo, EndlessDeviceIsRefusedAtTheDefaultLimit) {
  try {
    read_file("/dev/zero");
    FAIL() << "read /dev/zero without limit";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "io.too_large");
    EXPECT_NE(e.message().find("'/dev/zero'"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("64 MiB"), std::string::npos) << e.message();
    EXPECT_FALSE(e.hint().empty());
  }
  EXPECT_THROW(read_text_file("/dev/zero", {4096, "test limit"}), BadInputError);
}

TEST(FileIo, FileLargerThanTheLimitIsRefusedBeforeReading) {
  test::TempDir dir;
  write_text_file_atomic(dir / "five.bin", "12345");
  EXPECT_EQ(read_file(dir / "five.bin", {5, "five bytes"}).size(), 5u);
  try {
    read_file(dir / "five.bin", {4, "four bytes"});
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_NE(e.message().find("five.bin"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("four bytes"), std::string::npos) << e.message();
  }
  // A sparse 1 TiB file: refused by its size, not after reading it.
  std::filesystem::resize_file(dir / "five.bin", std::uint64_t{1} << 40);
  EXPECT_THROW(read_file(dir / "five.bin"), BadInputError);
}

std::vector<std::string> all_lines(const std::filesystem::path& file, std::size_t max_line = kMaxLogLine) {
  std::vector<std::string> lines;
  for_each_line(
      file,
      [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      },
      max_line);
  return lines;
}

TEST(FileIoLines, EveryLineInOrderAndALastLineWithoutNewline) {
  test::TempDir dir;
  // Lines longer than the reader's 64 KiB buffer, so a line spans reads.
  const std::string long_line(150000, 'x');
  write_text_file_atomic(dir / "log", "a\n\n" + long_line + "\nlast");
  const auto lines = all_lines(dir / "log");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], long_line);
  EXPECT_EQ(lines[3], "last");
}

TEST(FileIoLines, StopsWhenTheCallbackSaysSo) {
  test::TempDir dir;
  write_text_file_atomic(dir / "log", "1\n2\n3\n");
  std::vector<std::string> seen;
  EXPECT_TRUE(for_each_line(dir / "log", [&](std::string_view line) {
    seen.emplace_back(line);
    return line != "2";
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2"}));
}

TEST(FileIoLines, AMissingFileIsNothingRecordedYet) {
  test::TempDir dir;
  EXPECT_FALSE(for_each_line(dir / "absent", [](std::string_view) { return true; }));
  write_text_file_atomic(dir / "a-file", "x\n");
  EXPECT_FALSE(for_each_line(dir / "a-file" / "log", [](std::string_view) { return true; }));  // ENOTDIR
}

TEST(FileIoLines, ALineOverTheLimitNamesTheFileAndTheLine) {
  test::TempDir dir;
  write_text_file_atomic(dir / "log", "short\n" + std::string(200, 'y') + "\n");
  try {
    all_lines(dir / "log", 100);
    FAIL() << "a 200-byte line passed a 100-byte limit";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "io.line_too_long");
    EXPECT_NE(e.message().find("line 2 of"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find((dir / "log").string()), std::string::npos) << e.message();
  }
  EXPECT_EQ(all_lines(dir / "log", 200).size(), 2u);  // exactly at the limit is fine
}

TEST(FileIoLines, AnEndlessDeviceIsRefusedAtTheLineLimit) { EXPECT_THROW(all_lines("/dev/zero"), BadInputError); }

}  // namespace
}  // namespace espfab
