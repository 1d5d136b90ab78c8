// The connect step body on the one-step harness against an in-process virtual device over
// rfc2217:// (reset lines): it identifies the chip (MAC, eFuse snapshot, DB row) and returns its
// ConnectResult, and it leaves an already provisioned device untouched.
#include <gtest/gtest.h>

#include "integration/station/served_device.hpp"
#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

using test::ServedDevice;

constexpr const char* kMac = "7c:df:a1:00:00:00";

TEST(StepConnect, IdentifiesTheChipAndReturnsItsConnectResult) {
  ServedDevice served;
  test::StepHarness h(served.server->url(0));
  const auto out = h.run("connect");
  EXPECT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  const auto* device = h.output<ConnectResult>();
  ASSERT_NE(device, nullptr);
  EXPECT_EQ(device->mac, kMac);
  EXPECT_TRUE(device->serial.empty()) << "a new device";
  EXPECT_EQ(h.ctx.mac(), kMac);
  EXPECT_EQ(h.db.find_device(kMac)->status, "in_progress");
  EXPECT_TRUE(h.db.efuse_snapshot(kMac, "connect").has_value());
  EXPECT_FALSE(h.ctx.security_burned());
}

TEST(StepConnect, AnAlreadyProvisionedDeviceIsSkippedUntouched) {
  ServedDevice served;
  test::StepHarness h(served.server->url(0));
  h.db.touch_device(kMac, "earlier fixture");
  h.db.allocate_serial(kMac, h.profile.serial);
  h.db.set_status(kMac, "provisioned", "");
  const auto out = h.run("connect");
  EXPECT_EQ(out.verdict, StepVerdict::Skip);
  EXPECT_NE(out.reason.find("already provisioned as ESP-"), std::string::npos) << out.reason;
  ASSERT_NE(h.output<ConnectResult>(), nullptr) << "identified even when skipped";
  EXPECT_EQ(h.output<ConnectResult>()->serial, h.db.find_device(kMac)->serial);
}

}  // namespace
}  // namespace espfab::station
