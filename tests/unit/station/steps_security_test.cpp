// The security step bodies (steps_security.cpp) on the one-step harness, on the paths that decide
// before touching the chip: burn-fe-key with no fresh key, flash-production refusing to write
// without the device's key or finding it written in an earlier run, burn-efuses without a plan.
#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

using test::expect_error;
using test::StepHarness;

constexpr const char* kMac = "7c:df:a1:00:00:09";

void identified(StepHarness& h) {
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
}

TEST(StepBurnFeKey, AKeyNotGeneratedInThisRunIsNotBurned) {
  StepHarness h;
  identified(h);
  SecurityPlan plan;
  plan.fe_key = security::FlashEncryptionKey::generate(security::XtsKeyLength::Aes128);
  h.give(std::move(plan));
  const auto out = h.run("burn-fe-key");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["note"], "the key is on the chip already");
  ASSERT_NE(h.output<FeKeyBurn>(), nullptr);
  EXPECT_FALSE(h.output<FeKeyBurn>()->burned_now);
  EXPECT_TRUE(h.audit_actions(kMac).empty()) << "no program cycle";
}

TEST(StepBurnFeKey, WithoutThePlanItIsAnInternalError) {
  StepHarness h;
  identified(h);
  expect_error<InternalError>([&] { h.run("burn-fe-key"); }, "station.missing_input");
}

TEST(StepFlashProduction, WithoutTheDevicesKeyTheFirmwareIsNotWrittenAndAnEngineerIsCalled) {
  StepHarness h;
  identified(h);
  h.profile.security.flash_encryption = security::XtsKeyLength::Aes128;
  h.give(SecurityPlan{});
  h.give(FeKeyBurn{false});
  h.give(InjectedIdentity{});
  const auto out = h.run("flash-production");
  EXPECT_EQ(out.verdict, StepVerdict::Stop);
  EXPECT_NE(out.reason.find("flash-encryption key is gone"), std::string::npos);
}

TEST(StepFlashProduction, WrittenInAnEarlierRunIsNotWrittenAgain) {
  StepHarness h;
  identified(h);
  h.db.record_step({kMac, "run-0", "flash-production", "pass", "", 0, nlohmann::json::array(), "", {}});
  h.give(SecurityPlan{});
  h.give(FeKeyBurn{false});
  h.give(InjectedIdentity{});
  const auto out = h.run("flash-production");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["note"], "written in an earlier run");
}

TEST(StepBurnEfuses, WithoutAPlanItIsAnInternalError) {
  StepHarness h;
  identified(h);
  h.give(SecurityPlan{});  // a chip in Secure Download Mode gets no plan
  expect_error<InternalError>([&] { h.run("burn-efuses"); }, "station.no_plan");
}

}  // namespace
}  // namespace espfab::station
