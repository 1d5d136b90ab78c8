#include "util/secret_bytes.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace espfab {
namespace {

TEST(SecretBytes, PrintsRedacted) {
  SecretBytes secret(std::vector<std::uint8_t>{1, 2, 3, 4});
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "<redacted 4 bytes>");
  EXPECT_EQ(secret.redacted(), "<redacted 4 bytes>");
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
  SecretBytes a(std::vector<std::uint8_t>{9, 9, 9});
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state is the point
}

TEST(SecretBytes, WipeClearsContents) {
  SecretBytes secret(std::vector<std::uint8_t>{0xAA, 0xBB});
  secret.wipe();
  EXPECT_TRUE(secret.empty());
}

TEST(SecretBytes, SecureWipeZeroesMemory) {
  std::uint8_t buffer[16];
  for (auto& b : buffer) b = 0x5A;
  secure_wipe(buffer, sizeof buffer);
  for (auto b : buffer) EXPECT_EQ(b, 0);
}

TEST(SecretBytes, CloneAndCompare) {
  SecretBytes a(std::vector<std::uint8_t>{1, 2, 3});
  SecretBytes b = a.clone();
  EXPECT_TRUE(a == b);
  b.mutable_view()[0] = 7;
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace espfab
