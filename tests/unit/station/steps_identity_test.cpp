// The identity step bodies (steps_identity.cpp) one at a time, on the one-step harness with the
// faked DB and CA: allocate-serial, issue-identity (fresh, issued before, the CA failing, an
// unrecorded certificate reconciled) and retire-identity's paths that need no device.
#include <gtest/gtest.h>

#include <algorithm>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "station/provisioning_steps.hpp"
#include "support/expect_error.hpp"
#include "support/station/step_harness.hpp"

namespace espfab::station {
namespace {

using test::expect_error;
using test::StepHarness;

constexpr const char* kMac = "7c:df:a1:00:00:09";

TEST(StepAllocateSerial, GivesTheMacTheNextSerialOfTheScheme) {
  StepHarness h;
  h.profile.serial = {"T-", 3, 7};
  h.give_device(kMac);
  const auto out = h.run("allocate-serial");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  ASSERT_NE(h.output<SerialAllocation>(), nullptr);
  EXPECT_EQ(h.output<SerialAllocation>()->serial, "T-007");
  EXPECT_EQ(out.details["serial"], "T-007");
  EXPECT_EQ(h.db.find_device(kMac)->serial, "T-007");
}

TEST(StepAllocateSerial, ADatabaseFailureEndsTheStepWithoutASerial) {
  StepHarness h;
  h.give_device(kMac);
  h.db.fail_on("allocate_serial");
  expect_error<DatabaseError>([&] { h.run("allocate-serial"); }, "station.db_fake");
  EXPECT_EQ(h.output<SerialAllocation>(), nullptr);
}

TEST(StepAllocateSerial, WithoutAnIdentifiedDeviceItIsAnInternalError) {
  StepHarness h;
  expect_error<InternalError>([&] { h.run("allocate-serial"); }, "station.missing_input");
}

TEST(StepIssueIdentity, IssuesAKeyAndACertificateWithWriteAheadAudit) {
  StepHarness h;
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  const auto out = h.run("issue-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  const auto* issued = h.output<IssuedIdentity>();
  ASSERT_NE(issued, nullptr);
  EXPECT_NE(issued->key, nullptr) << "the key lives in the output";
  EXPECT_EQ(pki::verify_chain(issued->certificate_pem, h.ca.ca_certificate_pem()), "");
  ASSERT_EQ(h.ca.signed_subjects().size(), 1u);
  EXPECT_NE(h.ca.signed_subjects()[0].find("CN=ESP-000001"), std::string::npos);
  const auto stored = h.db.certificate(kMac);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->sha256, issued->certificate_sha256);
  EXPECT_EQ(out.details["certificate_sha256"], issued->certificate_sha256);
  EXPECT_EQ(h.audit_actions(kMac), (std::vector<std::string>{"identity.sign.begin", "identity.issued"}));
}

// The key pair flash-factory starts in the background (start_device_key) is the one certified.
TEST(StepIssueIdentity, CertifiesTheKeyPairMadeInTheBackground) {
  StepHarness h;
  h.firmware.secure_cert = image::PartitionEntry{"esp_secure_cert", 0x3F, 0, 0xD000, 0x2000};
  h.give_device(kMac);
  start_device_key(h.ctx);
  EXPECT_EQ(h.ctx.background.size(), 1u);
  h.give(SerialAllocation{"ESP-000001"});
  const auto out = h.run("issue-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["key_made_in_background"], true);
  EXPECT_EQ(h.ctx.background.size(), 0u) << "the background key was taken";
  const auto* issued = h.output<IssuedIdentity>();
  ASSERT_NE(issued, nullptr);
  EXPECT_EQ(pki::verify_chain(issued->certificate_pem, h.ca.ca_certificate_pem()), "");
}

TEST(StepIssueIdentity, WithoutABackgroundKeyItMakesItsOwn) {
  StepHarness h;
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  const auto out = h.run("issue-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["key_made_in_background"], false);
  EXPECT_NE(h.output<IssuedIdentity>()->key, nullptr);
}

TEST(StepIssueIdentity, NoKeyIsMadeAheadForADeviceThatHoldsACertificateOrForAStationWithoutIdentity) {
  StepHarness h;
  h.give_device(kMac);
  start_device_key(h.ctx);
  EXPECT_EQ(h.ctx.background.size(), 0u) << "no esp_secure_cert partition: no identity to issue";
  h.firmware.secure_cert = image::PartitionEntry{"esp_secure_cert", 0x3F, 0, 0xD000, 0x2000};
  h.db.store_certificate({kMac, "ESP-000001", "01", "ab", "pem", "2026-12-07T00:00:00Z"});
  start_device_key(h.ctx);
  EXPECT_EQ(h.ctx.background.size(), 0u) << "issued in an earlier run";
}

TEST(StepIssueIdentity, ACertificateIssuedInAnEarlierRunIsNotIssuedAgain) {
  StepHarness h;
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  h.db.store_certificate({kMac, "ESP-000001", "0a", "ab12", "-----PEM-----\n", "earlier"});
  const auto out = h.run("issue-identity");
  EXPECT_EQ(out.details["note"], "issued in an earlier run");
  EXPECT_EQ(h.ca.sign_calls(), 0u);
  const auto* issued = h.output<IssuedIdentity>();
  ASSERT_NE(issued, nullptr);
  EXPECT_EQ(issued->key, nullptr) << "its key died with the earlier run";
  EXPECT_EQ(issued->certificate_sha256, "ab12");
}

TEST(StepIssueIdentity, ACaFailureLeavesTheIntentOpenAndNoCertificate) {
  StepHarness h;
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  h.ca.before_sign = [] { throw IoError("pki.fake_down", "the CA is down", "start it"); };
  expect_error<IoError>([&] { h.run("issue-identity"); }, "pki.fake_down");
  EXPECT_FALSE(h.db.certificate(kMac).has_value());
  EXPECT_EQ(h.output<IssuedIdentity>(), nullptr);
  EXPECT_EQ(h.audit_actions(kMac), std::vector<std::string>{"identity.sign.begin"});
}

TEST(StepIssueIdentity, ACertificateTheCaIssuedButNobodyRecordedIsRevokedOnTheNextRun) {
  StepHarness h;
  h.give_device(kMac);
  h.give(SerialAllocation{"ESP-000001"});
  // The earlier run: the intent, then the CA signed, then the station died.
  h.audit.append({"identity.sign.begin", kMac, "ESP-000001", {{"ca", h.ca.describe()}, {"reissue", false}}});
  const auto key = pki::generate_key(pki::KeyType::EcP256);
  const auto lost = h.ca.sign_unrecorded(pki::make_csr(key.get(), {}, {"ESP-000001", kMac}).get());
  const auto out = h.run("issue-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  const auto revocations = h.db.revocations(kMac);
  ASSERT_EQ(revocations.size(), 1u);
  EXPECT_EQ(revocations[0].certificate.certificate_serial, lost.serial_hex);
  const auto actions = h.audit_actions(kMac);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "identity.sign.reconciled"), actions.end());
  EXPECT_EQ(actions.back(), "identity.issued") << "and a new identity is issued";
}

TEST(StepRetireIdentity, ADeviceWithoutACertificateHasNothingToRetire) {
  StepHarness h;
  h.give_device(kMac, "ESP-000001");
  h.give(Rejection{"hardware-test: gpio stuck"});
  const auto out = h.run("retire-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Continue);
  EXPECT_EQ(out.details["note"], "no identity was issued to this device");
  EXPECT_TRUE(h.db.revocations(kMac).empty());
}

TEST(StepRetireIdentity, WithoutTheRejectionItIsAnInternalError) {
  StepHarness h;
  h.give_device(kMac, "ESP-000001");
  expect_error<InternalError>([&] { h.run("retire-identity"); }, "station.missing_input");
}

}  // namespace
}  // namespace espfab::station
