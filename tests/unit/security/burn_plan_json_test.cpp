// The one BurnPlan serializer: a full lock-down plan survives a round trip through JSON, the
// shape names blocks, purposes and sources, no key bytes appear, and values that name nothing are
// refused; plan files refuse secret keys and damaged files with the file's name.
#include "security/burn_plan_json.hpp"

#include <gtest/gtest.h>

#include "security/burn_plan_file.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::security {
namespace {

BurnPlan lockdown_plan() {
  SecurityProfile profile;
  profile.flash_encryption = XtsKeyLength::Aes256;
  const Bytes digest_bytes = test::read_vector("secure_boot_v2/sbv2_rsa3072_key1_pubkey_digest.bin");
  KeyDigest digest{};
  std::copy_n(digest_bytes.begin(), digest.size(), digest.begin());
  profile.secure_boot_digests = {digest};
  const Bytes bootloader = test::read_vector("secure_boot_v2/signed_key1.bin");
  const Bytes app = test::read_vector("secure_boot_v2/signed_unaligned_key1.bin");
  const std::vector<PlanImage> images{{"bootloader", bootloader}, {"app", app}};
  return plan_burn(profile, EfuseImage{}, images);
}

bool same_plan(const BurnPlan& a, const BurnPlan& b) {
  if (a.batches.size() != b.batches.size() || a.skipped != b.skipped) return false;
  for (std::size_t i = 0; i < a.batches.size(); ++i) {
    const auto& x = a.batches[i];
    const auto& y = b.batches[i];
    if (x.name != y.name || x.after_boot_verified != y.after_boot_verified) return false;
    if (x.key_blocks.size() != y.key_blocks.size() || x.fields.size() != y.fields.size()) return false;
    for (std::size_t k = 0; k < x.key_blocks.size(); ++k) {
      const auto& p = x.key_blocks[k];
      const auto& q = y.key_blocks[k];
      if (p.key_block != q.key_block || p.purpose != q.purpose || p.source != q.source || p.key_half != q.key_half ||
          p.digest != q.digest || p.read_protect != q.read_protect || p.write_protect != q.write_protect)
        return false;
    }
    for (std::size_t f = 0; f < x.fields.size(); ++f) {
      if (x.fields[f].field != y.fields[f].field || x.fields[f].value != y.fields[f].value ||
          x.fields[f].why != y.fields[f].why)
        return false;
    }
  }
  return true;
}

TEST(BurnPlanJson, RoundTripsALockdownPlan) {
  const BurnPlan plan = lockdown_plan();
  ASSERT_GE(plan.batches.size(), 3u);
  const auto json = burn_plan_to_json(plan);
  EXPECT_TRUE(same_plan(burn_plan_from_json(json), plan));
  EXPECT_TRUE(same_plan(burn_plan_from_json(nlohmann::json::parse(json.dump())), plan));
}

TEST(BurnPlanJson, NamesBlocksPurposesAndSourcesAndCarriesNoKeyBytes) {
  const auto json = burn_plan_to_json(lockdown_plan());
  const auto& fe = json.at("batches").at(0).at("key_blocks");
  ASSERT_EQ(fe.size(), 2u);
  EXPECT_EQ(fe.at(0).at("block"), "BLOCK_KEY0");
  EXPECT_EQ(fe.at(0).at("purpose"), "XTS_AES_256_KEY_1");
  EXPECT_EQ(fe.at(0).at("source"), "device_flash_encryption_key");
  EXPECT_EQ(fe.at(0).at("digest"), "") << "a device key is named, never written";
  EXPECT_EQ(fe.at(1).at("key_half"), 1);
  const auto& sb = json.at("batches").at(2).at("key_blocks").at(0);  // after "flash-encryption enable"
  EXPECT_EQ(sb.at("source"), "public_digest");
  EXPECT_EQ(sb.at("digest").get<std::string>().size(), 64u);
}

TEST(BurnPlanJson, RefusesValuesThatNameNothing) {
  const auto good = burn_plan_to_json(lockdown_plan());
  for (const auto& [pointer, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"/batches/0/key_blocks/0/purpose", "NO_SUCH_PURPOSE"},
                                                           {"/batches/0/key_blocks/0/source", "somewhere"},
                                                           {"/batches/0/key_blocks/0/key_block", 6},
                                                           {"/batches/2/key_blocks/0/digest", "zz"}}) {
    auto bad = good;
    bad[nlohmann::json::json_pointer(pointer)] = value;
    try {
      burn_plan_from_json(bad);
      ADD_FAILURE() << pointer << " was accepted";
    } catch (const BadInputError& e) {
      EXPECT_EQ(e.code(), "security.plan_json") << pointer;
    }
  }
  auto missing = good;
  missing["batches"][0].erase("fields");
  EXPECT_THROW(burn_plan_from_json(missing), nlohmann::json::exception);
}

TEST(BurnPlanFile, RoundTripsWithTheEfusesItWasMadeFrom) {
  test::TempDir dir;
  const auto path = dir.path() / "plan.json";
  const BurnPlan plan = lockdown_plan();
  EfuseImage from;
  from.block(0)[1] = 0x1234;
  write_text_file_atomic(path, plan_file_json(plan, from).dump(2));
  const PlanFile file = load_plan_file(path);
  EXPECT_TRUE(same_plan(file.plan, plan));
  EXPECT_EQ(file.planned_from.block(0)[1], 0x1234u);
  const auto key = generate_key_for_plan(file.plan);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->length(), XtsKeyLength::Aes256);
}

TEST(BurnPlanFile, RefusesSecretKeysAndDamagedFiles) {
  BurnPlan plan;
  BurnBatch batch;
  batch.name = "hmac key";
  KeyBlockWrite write;
  write.source = KeySource::SecretKey;
  batch.key_blocks.push_back(write);
  plan.batches.push_back(batch);
  EXPECT_THROW(plan_file_json(plan, EfuseImage{}), BadInputError);
  test::TempDir dir;
  const auto path = dir.path() / "damaged.json";
  write_text_file_atomic(path, "{\"format\": \"espfab-efuse-plan/1\"");
  try {
    load_plan_file(path);
    ADD_FAILURE() << "a damaged plan was accepted";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "cli.plan_format");
    EXPECT_NE(e.describe().find(path.string()), std::string::npos) << e.describe();
  }
}

}  // namespace
}  // namespace espfab::security
