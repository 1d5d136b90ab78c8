// The hand-off step bodies (steps_handoff.cpp) on the one-step harness: register and label go
// through the outbox to the fake registrar and label printer (delivered, or queued when they are
// down); verify-hello's paths that need no device.
#include <gtest/gtest.h>

#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

using test::StepHarness;

constexpr const char* kMac = "7c:df:a1:00:00:09";

void identified(StepHarness& h) {
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  h.db.store_certificate({kMac, "ESP-000001", "0a", "ab12", "cert-pem", "now"});
}

TEST(StepRegister, RegistersTheSerialWithTheDevicesCertificate) {
  StepHarness h;
  identified(h);
  const auto out = h.run("register");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["delivered_to"], "registered ESP-000001");
  ASSERT_EQ(h.registrar.registered().count("ESP-000001"), 1u);
  EXPECT_EQ(h.registrar.registered().at("ESP-000001").certificate_pem, "cert-pem");
  EXPECT_EQ(h.db.outbox(kMac).at(0).state, "done");
}

TEST(StepRegister, ABrokerThatIsDownLeavesTheItemQueuedAndTheStepPasses) {
  StepHarness h;
  identified(h);
  h.registrar.fail_next(1);
  const auto out = h.run("register");
  EXPECT_EQ(out.verdict, StepVerdict::Continue) << "an outage delays, never rejects";
  EXPECT_EQ(out.details["queued"], true);
  EXPECT_NE(out.details["last_error"].get<std::string>().find("the fake broker is unreachable"), std::string::npos);
  EXPECT_TRUE(h.registrar.registered().empty());
  EXPECT_EQ(h.db.pending("register").size(), 1u);
  EXPECT_EQ(h.outbox.retry_pending(), 0u);
  EXPECT_EQ(h.registrar.registered().size(), 1u);
}

TEST(StepLabel, PrintsTheSerialMacAndDate) {
  StepHarness h;
  identified(h);
  const auto out = h.run("label");
  EXPECT_EQ(out.details["delivered_to"], "printed ESP-000001");
  ASSERT_EQ(h.labels.printed().size(), 1u);
  EXPECT_EQ(h.labels.printed()[0].mac, kMac);
  EXPECT_EQ(h.labels.printed()[0].provisioned_date.size(), 10u);
}

TEST(StepLabel, AnOfflinePrinterLeavesTheLabelQueued) {
  StepHarness h;
  identified(h);
  h.labels.fail_next(1);
  const auto out = h.run("label");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["queued"], true);
  EXPECT_TRUE(h.labels.printed().empty());
  EXPECT_EQ(h.db.pending("label").size(), 1u);
}

TEST(StepVerifyHello, NotAskedForIsANote) {
  StepHarness h;
  identified(h);
  h.profile.registration.device_hello = false;
  const auto out = h.run("verify-hello");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["note"], "not asked for ([registration] device_hello)");
  EXPECT_TRUE(out.checked_nothing);  // recorded as "skipped", not "pass"
}

TEST(StepVerifyHello, AQueuedRegistrationMeansTheDeviceCannotBeHeardYet) {
  StepHarness h;
  identified(h);
  h.profile.registration.device_hello = true;
  h.registrar.fail_next(1);
  h.run("register");
  const auto out = h.run("verify-hello");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["note"], "registration still queued: the device cannot be heard yet");
  EXPECT_TRUE(out.checked_nothing);
}

}  // namespace
}  // namespace espfab::station
