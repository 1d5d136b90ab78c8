#include "util/error.hpp"

#include <gtest/gtest.h>

#include "util/result.hpp"

namespace espfab {
namespace {

TEST(Error, CarriesKindCodeMessageAndHint) {
  const BadInputError error("image.bad_magic", "not an image: magic 0x00", "give an app image file");
  EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  EXPECT_EQ(error.code(), "image.bad_magic");
  EXPECT_EQ(error.message(), "not an image: magic 0x00");
  EXPECT_EQ(error.hint(), "give an app image file");
  EXPECT_STREQ(error.what(), "not an image: magic 0x00");
}

TEST(Error, ContextIsAppendedInnermostFirst) {
  TimeoutError error("loader.no_sync_reply", "no reply to SYNC");
  error.with_context("connecting to fixture 3").with_context("provisioning device 7c:df:a1:00:11:22");
  EXPECT_EQ(error.describe(),
            "no reply to SYNC (while connecting to fixture 3; while provisioning device 7c:df:a1:00:11:22)");
  EXPECT_EQ(std::string(error.what()), error.describe());
  ASSERT_EQ(error.context().size(), 2u);
}

TEST(Error, SubclassesCanBeCaughtAsError) {
  try {
    throw PolicyRefusalError("security.sb_before_fe", "secure boot before flash encryption");
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::PolicyRefusal);
    return;
  }
  FAIL() << "not caught";
}

TEST(Error, WithContextKeepsTheSubclassWhenThrown) {
  try {
    throw DeviceStatusError("loader.flash_failed", "flash write failed").with_context("writing app at 0x10000");
  } catch (const DeviceStatusError& error) {
    EXPECT_EQ(error.describe(), "flash write failed (while writing app at 0x10000)");
    return;
  } catch (const Error& error) {
    FAIL() << "sliced to a plain Error: " << error.describe();
  }
  FAIL() << "not caught";
}

TEST(Error, ContextAddedToACaughtErrorKeepsItsType) {
  try {
    try {
      throw CryptoError("pki.hsm_login", "cannot log in");
    } catch (Error& error) {
      error.with_context("opening the token");
      throw;
    }
  } catch (const CryptoError& error) {
    EXPECT_EQ(error.describe(), "cannot log in (while opening the token)");
    return;
  } catch (const Error& error) {
    FAIL() << "sliced to a plain Error: " << error.describe();
  }
  FAIL() << "not caught";
}

TEST(Error, KindsHaveStableNames) {
  EXPECT_EQ(to_string(ErrorKind::Timeout), "timeout");
  EXPECT_EQ(to_string(ErrorKind::DeviceStatus), "device-status");
  EXPECT_EQ(to_string(ErrorKind::PolicyRefusal), "policy-refusal");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 5;
  Result<int> bad = make_unexpected(Error(ErrorKind::Protocol, "loader.bad_reply", "bad reply"));
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 5);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), "loader.bad_reply");
}

}  // namespace
}  // namespace espfab
