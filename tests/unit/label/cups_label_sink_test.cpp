// CupsLabelSink against fake `lp` programs: the exact argv, a PDF handed over, the temporary file
// removed, lp's stderr in the error, a missing or hanging lp.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "label/label_printer.hpp"
#include "label_test_support.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;

std::filesystem::path write_script(const espfab::test::TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir / name;
  write_text_file_atomic(path, "#!/bin/sh\n" + body, 0755);
  return path;
}

TEST(label_cups_sink, RunsLpWithQueueAndAPdf) {
  const espfab::test::TempDir dir;
  const std::string record = (dir / "args").string();
  const std::string copy = (dir / "received.pdf").string();
  const auto lp = write_script(dir, "lp",
                               "for a in \"$@\"; do echo \"$a\" >> '" + record +
                                   "'; done\n"
                                   "cp \"$3\" '" +
                                   copy +
                                   "'\n"
                                   "echo \"request id is $2-42 (1 file(s))\"\n");
  CupsLabelSink sink("Zebra_GK420d", lp.string());
  const std::string result = sink.print(sample_fields());
  EXPECT_EQ(result, "sent to CUPS queue Zebra_GK420d: request id is Zebra_GK420d-42 (1 file(s))");

  const std::string args = read_text_file(record);
  const std::string prefix = "-d\nZebra_GK420d\n";
  ASSERT_EQ(args.rfind(prefix, 0), 0u) << args;
  const std::filesystem::path file = args.substr(prefix.size(), args.size() - prefix.size() - 1);
  EXPECT_EQ(args.back(), '\n');
  EXPECT_EQ(file.extension(), ".pdf") << args;
  EXPECT_NE(file.filename().string().find("ESP-000123"), std::string::npos) << args;
  EXPECT_EQ(file.string().find('\n'), std::string::npos) << "exactly three arguments: " << args;
  EXPECT_FALSE(std::filesystem::exists(file)) << "the temporary PDF is removed after lp";
  EXPECT_EQ(read_text_file(copy).rfind("%PDF-", 0), 0u);
  EXPECT_EQ(sink.describe(), "CUPS queue Zebra_GK420d (via " + lp.string() + ")");
}

TEST(label_cups_sink, FailingLpGivesItsStderr) {
  const espfab::test::TempDir dir;
  const auto lp = write_script(dir, "lp",
                               "echo 'lp: The printer or class does not exist.' >&2\n"
                               "exit 1\n");
  CupsLabelSink sink("nosuchqueue", lp.string());
  const Error error = test::thrown_by([&] { sink.print(sample_fields()); });
  EXPECT_EQ(error.kind(), ErrorKind::Io);
  EXPECT_EQ(error.code(), "label.lp_failed");
  EXPECT_NE(error.message().find("lp: The printer or class does not exist."), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("exited with 1"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("nosuchqueue"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("lpstat -p nosuchqueue"), std::string::npos) << error.hint();
}

TEST(label_cups_sink, MissingLpIsNamed) {
  const espfab::test::TempDir dir;
  CupsLabelSink sink("q", (dir / "no-lp-here").string());
  const Error error = test::thrown_by([&] { sink.print(sample_fields()); });
  EXPECT_EQ(error.code(), "label.lp_not_found");
  EXPECT_NE(error.message().find("no-lp-here"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("cups-client"), std::string::npos);
}

TEST(label_cups_sink, HangingLpIsKilledAtTheTimeout) {
  const espfab::test::TempDir dir;
  const auto lp = write_script(dir, "lp", "exec sleep 30\n");
  CupsLabelSink sink("q", lp.string(), {}, std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const Error error = test::thrown_by([&] { sink.print(sample_fields()); });
  EXPECT_EQ(error.kind(), ErrorKind::Timeout);
  EXPECT_EQ(error.code(), "label.lp_timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(label_cups_sink, RejectsBadQueueNames) {
  for (const std::string queue : {"", "two words", "a/b", "a#b", "-oraw", "tab\tq"}) {
    EXPECT_EQ(test::thrown_by([&] { CupsLabelSink sink(queue); }).code(), "label.bad_queue") << queue;
  }
  EXPECT_NO_THROW(CupsLabelSink("Zebra-ZD421_1"));
}

}  // namespace
}  // namespace espfab::label
