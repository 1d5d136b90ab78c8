// DirectoryLabelSink: <dir>/<serial>.<ext> per format, written whole, nothing else left behind.
#include <gtest/gtest.h>

#include <string>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "label_test_support.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;

TEST(label_directory_sink, WritesOneFilePerFormat) {
  const espfab::test::TempDir dir;
  DirectoryLabelSink sink(dir.path(), {LabelFormat::Zpl, LabelFormat::Png, LabelFormat::Pdf});
  const std::vector<std::filesystem::path> paths = sink.write(sample_fields());
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"ESP-000123.pdf", "ESP-000123.png", "ESP-000123.zpl"}));
  EXPECT_EQ(read_text_file(dir / "ESP-000123.zpl"), render_label_zpl(sample_fields()));
  EXPECT_EQ(read_file(dir / "ESP-000123.png"), render_label_png(sample_fields()));
  EXPECT_EQ(read_text_file(dir / "ESP-000123.pdf").rfind("%PDF-", 0), 0u);
  for (const auto& path : paths) EXPECT_EQ(path.parent_path(), dir.path());
}

TEST(label_directory_sink, PrintCreatesTheDirectoryAndNamesTheFiles) {
  const espfab::test::TempDir dir;
  DirectoryLabelSink sink(dir / "labels" / "line1", {LabelFormat::Zpl}, LabelSize{50, 30, 300});
  const std::string result = sink.print(sample_fields());
  EXPECT_EQ(result, "wrote " + (dir / "labels" / "line1" / "ESP-000123.zpl").string());
  EXPECT_NE(read_text_file(dir / "labels" / "line1" / "ESP-000123.zpl").find("^BQN,2,8"), std::string::npos);
  EXPECT_EQ(sink.describe(), "directory " + (dir / "labels" / "line1").string() + " (zpl)");
}

TEST(label_directory_sink, ReplacesAnEarlierLabel) {
  const espfab::test::TempDir dir;
  DirectoryLabelSink sink(dir.path(), {LabelFormat::Zpl});
  write_text_file_atomic(dir / "ESP-000123.zpl", "old");
  sink.write(sample_fields());
  EXPECT_EQ(read_text_file(dir / "ESP-000123.zpl"), render_label_zpl(sample_fields()));
  EXPECT_EQ(dir.entries().size(), 1u);
}

TEST(label_directory_sink, InvalidFieldsWriteNothing) {
  const espfab::test::TempDir dir;
  DirectoryLabelSink sink(dir.path(), {LabelFormat::Png, LabelFormat::Zpl});
  LabelFields fields = sample_fields();
  fields.mac = "7c:df:a1";
  EXPECT_EQ(test::thrown_by([&] { sink.print(fields); }).code(), "label.bad_mac");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(label_directory_sink, NeedsAFormatAndASaneSize) {
  const espfab::test::TempDir dir;
  EXPECT_EQ(test::thrown_by([&] { DirectoryLabelSink(dir.path(), {}); }).code(), "label.no_formats");
  EXPECT_EQ(test::thrown_by([&] {
              DirectoryLabelSink(dir.path(), {LabelFormat::Png}, {50, 30, 10});
            }).code(),
            "label.bad_size");
}

TEST(label_directory_sink, UnwritableDirectoryIsAnIoError) {
  const espfab::test::TempDir dir;
  write_text_file_atomic(dir / "file", "x");
  DirectoryLabelSink sink(dir / "file" / "labels", {LabelFormat::Zpl});
  const Error error = test::thrown_by([&] { sink.print(sample_fields()); });
  EXPECT_EQ(error.kind(), ErrorKind::Io);
  EXPECT_NE(error.message().find("file/labels"), std::string::npos) << error.message();
}

}  // namespace
}  // namespace espfab::label
