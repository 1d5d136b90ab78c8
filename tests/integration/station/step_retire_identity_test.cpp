// The retire-identity step body on the one-step harness against an in-process virtual device: a
// rejected device's certificate is revoked, its esp_secure_cert partition erased and read back
// erased, and issue/inject-identity are marked retired.
#include <gtest/gtest.h>

#include "integration/station/served_device.hpp"
#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

constexpr const char* kMac = "7c:df:a1:00:00:00";

TEST(StepRetireIdentity, RevokesTheCertificateAndErasesThePartitionOnTheDevice) {
  test::ServedDevice served;
  test::StepHarness h(served.server->url(0));
  h.firmware.secure_cert = image::PartitionEntry{"esp_secure_cert", 0x3F, 0, 0xD000, 0x2000};
  h.give_device(kMac, "ESP-000001");
  h.give(Rejection{"hardware-test: gpio stuck"});
  h.db.store_certificate({kMac, "ESP-000001", "0a", "ab12", "cert-pem", "now"});
  const auto out = h.run("retire-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  EXPECT_FALSE(h.db.certificate(kMac).has_value());
  ASSERT_EQ(h.db.revocations(kMac).size(), 1u);
  EXPECT_EQ(h.db.revocations(kMac)[0].reason, "hardware-test: gpio stuck");
  EXPECT_EQ(out.details["erased"]["read_back"], "erased");
  EXPECT_FALSE(h.db.step_done(kMac, "issue-identity"));
  EXPECT_EQ(h.db.steps(kMac).back().outcome, "retired");
  EXPECT_EQ(h.audit_actions(kMac), (std::vector<std::string>{"identity.revoked", "identity.erased"}));
}

}  // namespace
}  // namespace espfab::station
