// The CLI as a user meets it: help, version, usage errors and their exit codes.
#include <gtest/gtest.h>

#include "support/run_command.hpp"

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

}  // namespace
}  // namespace espfab::test
