// The CLI as a user meets it: help, version, usage errors and their exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

TEST(CliBasics, HelpListsCommandsAndExitsZero) {
  const auto result = run_espfab({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("factory provisioning station"), std::string::npos) << result.out;
}

TEST(CliBasics, VersionPrintsName) {
  const auto result = run_espfab({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.rfind("espfab ", 0), 0u) << result.out;
}

TEST(CliBasics, UnknownCommandIsUsageError) {
  const auto result = run_espfab({"no-such-command"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_FALSE(result.err.empty());
}

TEST(CliBasics, ATypoGetsDidYouMean) {
  const auto command = run_espfab({"wrte-flash", "0x0", "a.bin"});
  EXPECT_EQ(command.exit_code, 64);
  EXPECT_NE(command.err.find("error[cli.unknown_command]: 'wrte-flash' is not an espfab command"), std::string::npos)
      << command.err;
  EXPECT_NE(command.err.find("did you mean 'write-flash'?"), std::string::npos) << command.err;
  const auto in_group = run_espfab({"efuse", "sumary", "--file", "x"});
  EXPECT_EQ(in_group.exit_code, 64);
  EXPECT_NE(in_group.err.find("did you mean 'efuse summary'?"), std::string::npos) << in_group.err;
  const auto option = run_espfab({"chip-id", "--prot", "socket://127.0.0.1:1"});
  EXPECT_EQ(option.exit_code, 64);
  EXPECT_NE(option.err.find("error[cli.unknown_option]"), std::string::npos) << option.err;
  EXPECT_NE(option.err.find("did you mean '--port'?"), std::string::npos) << option.err;
}

TEST(CliBasics, EsptoolCommandNamesWork) {
  const auto image = vector_path("app_image/app.bin").string();
  const auto dashed = run_espfab({"image", "info", image});
  ASSERT_EQ(dashed.exit_code, 0) << dashed.err;
  const auto esptool = run_espfab({"image_info", image});
  EXPECT_EQ(esptool.exit_code, 0) << esptool.err;
  EXPECT_EQ(esptool.out, dashed.out);
  for (const auto& [alias, help_of] :
       std::vector<std::pair<std::string, std::string>>{{"write_flash", "write-flash"},
                                                        {"read_mac", "read-mac"},
                                                        {"chip_id", "chip-id"},
                                                        {"merge_bin", "image merge"},
                                                        {"get_security_info", "security-info"}}) {
    std::vector<std::string> args{alias, "--help"};
    const auto result = run_espfab(args);
    EXPECT_EQ(result.exit_code, 0) << alias << ": " << result.err;
    EXPECT_NE(result.out.find("Usage: espfab " + help_of), std::string::npos) << alias << ": " << result.out;
  }
}

TEST(CliBasics, ChipOptionTakesEsp32s3AndRefusesTheRest) {
  const auto image = vector_path("app_image/app.bin").string();
  EXPECT_EQ(run_espfab({"--chip", "esp32s3", "image", "info", image}).exit_code, 0);
  EXPECT_EQ(run_espfab({"image", "info", image, "--chip", "esp32s3"}).exit_code, 0) << "after the command too";
  EXPECT_EQ(run_espfab({"--chip", "auto", "image", "info", image}).exit_code, 0);
  const auto other = run_espfab({"--chip", "esp32c3", "chip-id", "--port", "socket://127.0.0.1:1"});
  EXPECT_EQ(other.exit_code, 6) << other.err;
  EXPECT_NE(other.err.find("error[cli.unsupported_chip]: --chip esp32c3: espfab provisions ESP32-S3 modules only"),
            std::string::npos)
      << other.err;
  const auto typo = run_espfab({"--chip", "esp33", "image", "info", image});
  EXPECT_EQ(typo.exit_code, 2) << typo.err;
  EXPECT_NE(typo.err.find("error[cli.unknown_chip]"), std::string::npos) << typo.err;
}

// Under --json an error is one JSON object on stdout with the code and hint of the text on stderr.
void expect_json_error(const CommandResult& result, int exit_code, const std::string& code) {
  EXPECT_EQ(result.exit_code, exit_code) << result.out << result.err;
  const auto json = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_TRUE(json.is_object() && json.contains("error")) << result.out;
  const auto& error = json["error"];
  EXPECT_EQ(error["code"], code) << result.out;
  EXPECT_NE(result.err.find("error[" + code + "]: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("  hint: " + error["hint"].get<std::string>() + "\n"), std::string::npos) << result.err;
  for (const char* key : {"kind", "code", "message", "hint"}) EXPECT_TRUE(error[key].is_string()) << key;
  EXPECT_TRUE(error["context"].is_array()) << "the \"while ...\" chain, innermost first";
}

TEST(CliBasics, JsonErrorsComeFromOnePlaceForEveryKind) {
  TempDir dir;
  write_file_atomic(dir / "not-an-image.bin", Bytes(64, 0x00));
  expect_json_error(run_espfab({"image", "info", "--json", (dir / "not-an-image.bin").string()}), 2, "image.bad_magic");
  expect_json_error(run_espfab({"report", "--profile", (dir / "none.toml").string(), "--json"}), 64,
                    "cli.invalid_value");
  expect_json_error(run_espfab({"wrte-flash", "--json"}), 64, "cli.unknown_command");
  expect_json_error(run_espfab({"chip-id", "--json", "--prot", "x"}), 64, "cli.unknown_option");
}

}  // namespace
}  // namespace espfab::test
