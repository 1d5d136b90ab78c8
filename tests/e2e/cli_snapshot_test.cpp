// Snapshots of the CLI's surface: the text of every --help (found by walking `espfab --help` and
// each group's "Subcommands:"), and the shape of each --json command's error (kind and code of a
// failing invocation, one JSON object on stdout, the same code and hint as the text on stderr).
// A change to either is a change users see: review the diff, then refresh the snapshots with
//   ESPFAB_UPDATE_SNAPSHOTS=1 ctest --test-dir build -R CliSnapshot
// Snapshots live in tests/snapshots/ (help/<command words joined by _>.txt, json-errors.txt).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

std::filesystem::path snapshots_dir() { return vectors_dir().parent_path() / "snapshots"; }
bool updating() { return std::getenv("ESPFAB_UPDATE_SNAPSHOTS") != nullptr; }

// The names listed under "Subcommands:" in a --help text.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  bool in_list = false;
  for (std::string line; std::getline(lines, line);) {
    if (line == "Subcommands:") {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    if (line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') break;
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

// Every command path ("" for espfab itself, "efuse", "efuse burn-key", ...) with its --help text.
std::map<std::string, std::string> all_help() {
  std::map<std::string, std::string> help;
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    const std::string path = pending.back();
    pending.pop_back();
    std::vector<std::string> args;
    std::istringstream words(path);
    for (std::string word; words >> word;) args.push_back(word);
    args.emplace_back("--help");
    const auto result = run_espfab(args);
    EXPECT_EQ(result.exit_code, 0) << path << ": " << result.err;
    help[path] = result.out;
    for (const auto& sub : subcommands_in(result.out)) pending.push_back(path.empty() ? sub : path + " " + sub);
  }
  return help;
}

std::string snapshot_name(const std::string& path) {
  std::string name = path.empty() ? "espfab" : "espfab_" + path;
  std::replace(name.begin(), name.end(), ' ', '_');
  return name + ".txt";
}

TEST(CliSnapshot, EveryHelpTextIsTheOneReviewed) {
  const auto help = all_help();
  ASSERT_GT(help.size(), 40u) << "the walk found too few commands";
  std::set<std::string> expected_files;
  for (const auto& [path, text] : help) {
    const auto file = snapshots_dir() / "help" / snapshot_name(path);
    expected_files.insert(file.filename().string());
    if (updating()) {
      write_text_file_atomic(file, text);
      continue;
    }
    ASSERT_TRUE(std::filesystem::exists(file)) << "no snapshot for `espfab " << path << " --help`: " << file;
    EXPECT_EQ(text, read_text_file(file)) << "`espfab " << path << " --help` changed; review, then refresh (see top)";
  }
  for (const auto& entry : std::filesystem::directory_iterator(snapshots_dir() / "help")) {
    EXPECT_TRUE(expected_files.count(entry.path().filename().string()) > 0)
        << entry.path() << " is the snapshot of a command that no longer exists";
  }
}

// A failing invocation of every command that takes --json. {file}: an existing file that is no
// valid input; {toml}: a station profile with a syntax error; {dir}: a scratch directory.
const std::map<std::string, std::vector<std::string>>& failing_invocations() {
  static const std::map<std::string, std::vector<std::string>> table{
      {"audit verify", {"--profile", "{toml}"}},
      {"check", {"--profile", "{toml}", "--rehearse", "--idf-build", "{dir}"}},
      {"chip-id", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"db migrate", {"--profile", "{toml}"}},
      {"demo", {"--dir", "{file}/demo"}},
      {"device resume", {"X", "--profile", "{toml}", "--reason", "r"}},
      {"device scrap", {"X", "--profile", "{toml}", "--reason", "r"}},
      {"device status", {"X", "--profile", "{toml}"}},
      {"efuse burn", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "--flash-encryption", "xts-128"}},
      {"efuse burn-key",
       {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "BLOCK_KEY9", "{file}", "HMAC_UP"}},
      {"efuse burn-key-digest",
       {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "BLOCK_KEY0", "{file}", "SECURE_BOOT_DIGEST0"}},
      {"efuse check", {"--file", "{file}"}},
      {"efuse plan", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "--flash-encryption", "xts-128"}},
      {"efuse read-protect", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "BLOCK_KEY0"}},
      {"efuse summary", {"--file", "{file}"}},
      {"efuse write-protect", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "MAC"}},
      {"erase-flash", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"erase-region", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "0x0", "0x1001"}},
      {"flash-id", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"image info", {"{file}"}},
      {"label", {"--serial", "S 1", "--mac", "aa:bb:cc:dd:ee:ff", "-o", "{dir}/l.png"}},
      {"nvs info", {"{file}"}},
      {"partition-table", {"{file}"}},
      {"read-flash", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "0x0", "16", "{dir}/out.bin"}},
      {"read-mac", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"report", {"--profile", "{toml}"}},
      {"reset", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"run", {"--profile", "{toml}"}},
      {"secure-boot generate-key", {"-o", "{file}"}},
      {"secure-boot info", {"{file}"}},
      {"secure-boot verify", {"--key", "{file}", "{file}"}},
      {"secure-cert info", {"{file}"}},
      {"security-info", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1"}},
      {"write-flash", {"--port", "socket://127.0.0.1:1", "--connect-attempts", "1", "0x0", "{file}"}},
  };
  return table;
}

std::string substituted(std::string arg, const TempDir& dir) {
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"{file}", (dir / "junk.bin").string()},
                                                        {"{toml}", (dir / "bad.toml").string()},
                                                        {"{dir}", dir.path().string()}}) {
    for (auto at = arg.find(from); at != std::string::npos; at = arg.find(from)) arg.replace(at, from.size(), to);
  }
  return arg;
}

TEST(CliSnapshot, EveryJsonCommandPrintsItsErrorAsJsonWithTheTextsCodeAndHint) {
  TempDir dir;
  write_file_atomic(dir / "junk.bin", Bytes(64, 0x00));
  write_text_file_atomic(dir / "bad.toml", "[station\nid = 1\n");
  std::ostringstream shapes;
  for (const auto& [path, text] : all_help()) {
    if (text.find("\n  --json ") == std::string::npos) continue;  // an option line, not a mention
    const auto found = failing_invocations().find(path);
    if (found == failing_invocations().end()) {
      ADD_FAILURE() << "`espfab " << path << "` takes --json: add a failing invocation to this test's table";
      continue;
    }
    std::vector<std::string> args;
    std::istringstream words(path);
    for (std::string word; words >> word;) args.push_back(word);
    for (const auto& arg : found->second) args.push_back(substituted(arg, dir));
    args.emplace_back("--json");
    const auto result = run_espfab(args);
    EXPECT_NE(result.exit_code, 0) << path;
    const auto json = nlohmann::json::parse(result.out, nullptr, false);
    if (!json.is_object() || !json.contains("error")) {
      ADD_FAILURE() << "`espfab " << path << " --json` failed without a JSON error on stdout: " << result.out
                    << result.err;
      continue;
    }
    const auto& error = json["error"];
    for (const char* key : {"kind", "code", "message", "hint"}) {
      EXPECT_TRUE(error.contains(key) && error[key].is_string()) << path << ": " << key;
    }
    EXPECT_TRUE(error.contains("context") && error["context"].is_array()) << path;
    const std::string code = error.value("code", "");
    EXPECT_NE(result.err.find("error[" + code + "]: "), std::string::npos) << path << ": " << result.err;
    EXPECT_NE(result.err.find("  hint: " + error.value("hint", "") + "\n"), std::string::npos)
        << path << ": " << result.err;
    shapes << path << ": " << error.value("kind", "") << " " << code << " exit " << result.exit_code << "\n";
  }
  const auto file = snapshots_dir() / "json-errors.txt";
  if (updating()) {
    write_text_file_atomic(file, shapes.str());
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  EXPECT_EQ(shapes.str(), read_text_file(file)) << "a command's JSON error changed; review, then refresh (see top)";
}

}  // namespace
}  // namespace espfab::test
