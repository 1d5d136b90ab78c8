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

}  // namespace
}  // namespace espfab
