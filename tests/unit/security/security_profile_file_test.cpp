// Secure Boot and flash encryption are never off by omission (issue 15): the [security] section must
// name the keys and the mode, or opt out in so many words; every opt-out is reported back.
#include "security/security_profile_file.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::security {
namespace {

std::filesystem::path write_profile(const test::TempDir& dir, const std::string& security) {
  std::filesystem::copy_file(test::vector_path("secure_boot_v2/sbv2_rsa3072_key1.pem"), dir / "sb.pem",
                             std::filesystem::copy_options::overwrite_existing);
  const auto file = dir / "station.toml";
  write_text_file_atomic(file, "[security]\n" + security);
  return file;
}

std::string problems_of(const std::string& security) {
  test::TempDir dir;
  try {
    load_security_profile(write_profile(dir, security));
  } catch (const BadInputError& error) {
    return error.message();
  }
  return "";
}

TEST(SecurityProfileFile, KeysAndModeTurnBothOn) {
  test::TempDir dir;
  const auto file = load_security_profile(write_profile(dir,
                                                        "flash_encryption = \"xts-256\"\n"
                                                        "secure_boot_keys = [\"sb.pem\"]\n"));
  EXPECT_EQ(file.profile.flash_encryption, XtsKeyLength::Aes256);
  EXPECT_EQ(file.profile.secure_boot_digests.size(), 1u);
  EXPECT_TRUE(file.opt_outs.empty());
}

TEST(SecurityProfileFile, AMissingKeyListIsAnErrorNotSecureBootOff) {
  const auto m = problems_of("flash_encryption = \"xts-128\"\n");
  EXPECT_NE(m.find("has no 'secure_boot_keys'"), std::string::npos) << m;
  EXPECT_NE(m.find("secure_boot = false"), std::string::npos) << m;
}

TEST(SecurityProfileFile, AnEmptyKeyListIsAnErrorWithItsPlace) {
  const auto m = problems_of("flash_encryption = \"xts-128\"\nsecure_boot_keys = []\n");
  EXPECT_NE(m.find("station.toml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("'secure_boot_keys' is empty"), std::string::npos) << m;
}

TEST(SecurityProfileFile, AMissingFlashEncryptionIsAnError) {
  const auto m = problems_of("secure_boot_keys = [\"sb.pem\"]\n");
  EXPECT_NE(m.find("says nothing about flash encryption"), std::string::npos) << m;
  EXPECT_NE(m.find("flash_encryption = false"), std::string::npos) << m;
}

TEST(SecurityProfileFile, ExplicitOptOutsAreAcceptedAndReported) {
  test::TempDir dir;
  const auto file =
      load_security_profile(write_profile(dir, "flash_encryption = false\nsecure_boot = false\njtag = \"keep\"\n"));
  EXPECT_FALSE(file.profile.flash_encryption.has_value());
  EXPECT_TRUE(file.profile.secure_boot_digests.empty());
  EXPECT_EQ(file.opt_outs, (std::vector<std::string>{"flash_encryption = false", "secure_boot = false"}));
}

TEST(SecurityProfileFile, ContradictionsAreErrors) {
  EXPECT_NE(problems_of("flash_encryption = \"xts-128\"\nsecure_boot = false\nsecure_boot_keys = [\"sb.pem\"]\n")
                .find("remove one of the two"),
            std::string::npos);
  EXPECT_NE(problems_of("flash_encryption = true\nsecure_boot_keys = [\"sb.pem\"]\n").find("say which mode"),
            std::string::npos);
}

}  // namespace
}  // namespace espfab::security
