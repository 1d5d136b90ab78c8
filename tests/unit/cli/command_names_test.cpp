#include "command_names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace espfab::cli {
namespace {

using Args = std::vector<std::string>;

const std::vector<std::string> kPaths{"chip-id",
                                      "read-mac",
                                      "write-flash",
                                      "read-flash",
                                      "erase-flash",
                                      "erase-region",
                                      "flash-id",
                                      "security-info",
                                      "image",
                                      "image info",
                                      "image merge",
                                      "image build",
                                      "efuse",
                                      "efuse summary",
                                      "efuse burn",
                                      "efuse burn-key",
                                      "efuse burn-key-digest",
                                      "secure-boot",
                                      "secure-boot sign",
                                      "secure-boot generate-key",
                                      "run",
                                      "report"};

bool known(const std::string& path) { return std::find(kPaths.begin(), kPaths.end(), path) != kPaths.end(); }

TEST(CommandAliases, EsptoolUnderscoreNamesBecomeEspfabCommands) {
  EXPECT_EQ(resolve_command_aliases({"write_flash", "0x0", "app_image.bin"}, known),
            (Args{"write-flash", "0x0", "app_image.bin"}));
  EXPECT_EQ(resolve_command_aliases({"--port", "socket://h:1", "read_mac", "--json"}, known),
            (Args{"--port", "socket://h:1", "read-mac", "--json"}));
  EXPECT_EQ(resolve_command_aliases({"-b", "921600", "chip_id"}, known), (Args{"-b", "921600", "chip-id"}));
}

TEST(CommandAliases, RenamedCommandsComeFromTheTable) {
  EXPECT_EQ(resolve_command_aliases({"merge_bin", "-o", "out.bin"}, known), (Args{"image", "merge", "-o", "out.bin"}));
  EXPECT_EQ(resolve_command_aliases({"get_security_info"}, known), (Args{"security-info"}));
  EXPECT_EQ(resolve_command_aliases({"generate_signing_key", "-o", "k.pem"}, known),
            (Args{"secure-boot", "generate-key", "-o", "k.pem"}));
  EXPECT_EQ(resolve_command_aliases({"summary", "--file", "e.bin"}, known),
            (Args{"efuse", "summary", "--file", "e.bin"}));
}

TEST(CommandAliases, NamesInsideAGroupToo) {
  EXPECT_EQ(resolve_command_aliases({"efuse", "burn_key", "BLOCK_KEY0"}, known),
            (Args{"efuse", "burn-key", "BLOCK_KEY0"}));
  EXPECT_EQ(resolve_command_aliases({"efuse", "burn_efuse", "--confirm"}, known), (Args{"efuse", "burn", "--confirm"}));
}

TEST(CommandAliases, ArgumentsAfterTheCommandAreNeverRewritten) {
  // A positional that happens to look like a command stays what it is.
  const Args args{"write-flash", "0x0", "read_mac"};
  EXPECT_EQ(resolve_command_aliases(args, known), args);
  const Args log_value{"--log-file", "write_flash", "chip-id"};
  EXPECT_EQ(resolve_command_aliases(log_value, known), log_value);
  const Args unknown{"no_such_thing", "x"};
  EXPECT_EQ(resolve_command_aliases(unknown, known), unknown);
}

TEST(CommandWordIndex, SkipsRootOptionsAndTheirValues) {
  EXPECT_EQ(command_word_index({"--log-level", "debug", "--chip", "esp32s3", "-p", "x", "chip-id"}), 6u);
  EXPECT_EQ(command_word_index({"--log-level=debug", "--no-stub", "chip-id"}), 2u);
  EXPECT_EQ(command_word_index({"--help"}), 1u);
}

TEST(UnknownCommand, ATypoGetsTheClosestCommands) {
  const auto unknown = find_unknown_command({"wrte-flash", "0x0", "a.bin"}, kPaths);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->word, "wrte-flash");
  EXPECT_EQ(unknown->group, "");
  ASSERT_FALSE(unknown->suggestions.empty());
  EXPECT_EQ(unknown->suggestions.front(), "write-flash");
}

TEST(UnknownCommand, InsideAGroupTheGroupsCommandsAreSuggested) {
  const auto unknown = find_unknown_command({"efuse", "sumary"}, kPaths);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->group, "efuse");
  EXPECT_EQ(unknown->suggestions, (std::vector<std::string>{"efuse summary"}));
}

TEST(UnknownCommand, KnownCommandsOptionsAndNothingAtAllAreNotReported) {
  EXPECT_FALSE(find_unknown_command({"efuse", "burn-key", "BLOCK_KEY0"}, kPaths));
  EXPECT_FALSE(find_unknown_command({"--port", "x", "write-flash", "0x0", "no-such"}, kPaths));
  EXPECT_FALSE(find_unknown_command({"efuse", "--help"}, kPaths));
  EXPECT_FALSE(find_unknown_command({"--version"}, kPaths));
}

TEST(UnknownCommand, SomethingFarFromEveryNameHasNoSuggestion) {
  const auto unknown = find_unknown_command({"xyzzy"}, kPaths);
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->suggestions.empty());
}

TEST(ClosestNames, TranspositionsPrefixesAndLastWords) {
  EXPECT_EQ(closest_names("chpi-id", kPaths).front(), "chip-id");
  EXPECT_EQ(closest_names("secure-boot generate", kPaths).front(), "secure-boot generate-key");
  EXPECT_EQ(closest_names("--prot", {"--port", "--baud", "--json"}), (std::vector<std::string>{"--port"}));
  EXPECT_TRUE(closest_names("ab", kPaths).empty());
}

TEST(WantsJson, OnlyBeforeTheEndOfOptions) {
  EXPECT_TRUE(wants_json({"chip-id", "--json"}));
  EXPECT_FALSE(wants_json({"chip-id"}));
  EXPECT_FALSE(wants_json({"write-flash", "--", "--json"}));
}

}  // namespace
}  // namespace espfab::cli
