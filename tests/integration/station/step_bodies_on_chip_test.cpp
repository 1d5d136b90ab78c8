// The factory, identity, security and boot step bodies on the one-step harness against an
// in-process virtual device, with the demo's images and profile (service/demo_assets.hpp): what
// each body did is read from the chip itself (its flash, its eFuses, what it printed), never only
// from what the host believes it wrote.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "chip/esp32s3.hpp"
#include "emulator/device_ds_key.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/factory_test_app.hpp"
#include "image/secure_cert_tlv.hpp"
#include "integration/station/served_device.hpp"
#include "security/efuse_burner.hpp"
#include "security/loader_efuse_registers.hpp"
#include "service/demo_assets.hpp"
#include "station/firmware_set.hpp"
#include "support/station/step_harness.hpp"
#include "unit/emulator/efuse_key_burn.hpp"

namespace espfab::station {
namespace {

using test::ServedDevice;
using test::StepHarness;

constexpr const char* kMac = "7c:df:a1:00:00:00";

Bytes flash_at(ServedDevice& served, std::uint32_t offset, std::size_t size) {
  const auto view = served.chip().flash().view(offset, static_cast<std::uint32_t>(size));
  return Bytes(view.begin(), view.end());
}

class StepBodiesOnAChip : public ::testing::Test {
 protected:
  // The demo assets are made once (an RSA-3072 signing key and a CA take a while).
  static void SetUpTestSuite() {
    assets_dir_ = std::make_unique<test::TempDir>();
    profile_ = service::prepare_demo_assets(assets_dir_->path()).profile;
  }
  static void TearDownTestSuite() { assets_dir_.reset(); }

  // A device with `faults` behind a harness that provisions with the demo profile.
  void start(emulator::DeviceFaults faults = {}) {
    emulator::DeviceConfig config;
    config.faults = std::move(faults);
    served_ = std::make_unique<ServedDevice>(std::move(config));
    h_ = std::make_unique<StepHarness>(served_->url());
    h_->profile = load_station_profile(profile_);
    h_->firmware = load_firmware_set(h_->profile.images);
  }

  // Runs the steps in order; each must go on.
  void run_through(std::initializer_list<const char*> steps) {
    for (const char* step : steps) {
      const auto out = h_->run(step);
      ASSERT_EQ(out.verdict, StepVerdict::Continue) << step << ": " << out.reason;
    }
  }

  StepHarness& h() { return *h_; }
  ServedDevice& chip() { return *served_; }

 private:
  static inline std::unique_ptr<test::TempDir> assets_dir_;
  static inline std::filesystem::path profile_;
  std::unique_ptr<ServedDevice> served_;
  std::unique_ptr<StepHarness> h_;
};

TEST_F(StepBodiesOnAChip, FlashFactoryWritesTheBootloaderTheTableAndTheTestAppWhereTheLayoutSays) {
  start();
  run_through({"connect"});
  const auto out = h().run("flash-factory");
  ASSERT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  const auto& fw = h().firmware;
  EXPECT_EQ(flash_at(chip(), kBootloaderOffset, fw.bootloader->size()), *fw.bootloader);
  EXPECT_EQ(flash_at(chip(), kPartitionTableOffset, fw.partition_table->size()), *fw.partition_table);
  EXPECT_EQ(flash_at(chip(), fw.factory_test_slot->offset, fw.factory_app->size()), *fw.factory_app);
  EXPECT_EQ(out.details["regions"].size(), 3u);
  EXPECT_FALSE(chip().chip().efuse().flash_encryption_enabled()) << "nothing irreversible in phase 1";
}

TEST_F(StepBodiesOnAChip, HardwareTestPassesEveryMeasurementOfAHealthyBoard) {
  start();
  run_through({"connect", "flash-factory"});
  const auto out = h().run("hardware-test");
  EXPECT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  EXPECT_EQ(out.details["firmware"]["fw"], "factory-test");
  ASSERT_EQ(out.measurements.size(), h().profile.test.measurements.size());
  for (const auto& measurement : out.measurements) EXPECT_TRUE(measurement["pass"].get<bool>()) << measurement;
  EXPECT_NE(h().ctx.console().find("factory-test"), std::string::npos) << "the app's console is kept";
}

TEST_F(StepBodiesOnAChip, HardwareTestFailsAStuckLoopbackNamingThePins) {
  emulator::DeviceFaults faults;
  faults.factory_test.gpio_stuck = std::pair{service::kDemoLoopbackIn, false};
  start(faults);
  run_through({"connect", "flash-factory"});
  const auto out = h().run("hardware-test");
  EXPECT_EQ(out.verdict, StepVerdict::Fail);
  EXPECT_NE(out.reason.find(std::to_string(service::kDemoLoopbackIn)), std::string::npos) << out.reason;
  std::size_t failed = 0;
  for (const auto& measurement : out.measurements) failed += measurement["pass"].get<bool>() ? 0u : 1u;
  EXPECT_EQ(failed, 1u) << "only the loopback fails";
}

TEST_F(StepBodiesOnAChip, InjectIdentityWritesTheIssuedCertificateAndKeyIntoTheSecureCertPartition) {
  start();
  run_through({"connect", "allocate-serial", "issue-identity"});
  const std::string issued_pem = h().output<IssuedIdentity>()->certificate_pem;
  const auto out = h().run("inject-identity");
  ASSERT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  const auto& partition = *h().firmware.secure_cert;
  const auto identity = image::read_secure_cert_identity(flash_at(chip(), partition.offset, partition.size));
  EXPECT_EQ(identity.device_cert, issued_pem);
  EXPECT_EQ(identity.ca_cert, h().ca.ca_certificate_pem());
  EXPECT_GT(identity.private_key.size(), 0u);
  const auto* injected = h().output<InjectedIdentity>();
  ASSERT_NE(injected, nullptr);
  EXPECT_EQ(injected->certificate_sha256, h().output<IssuedIdentity>()->certificate_sha256);
  EXPECT_EQ(h().ca.sign_calls(), 1u);
}

TEST_F(StepBodiesOnAChip, InjectIdentityOnAResumedRunKeepsWhatTheDeviceHolds) {
  start();
  run_through({"connect", "allocate-serial", "issue-identity", "inject-identity"});
  // The station stopped: the key lived only in its memory, the DB has the certificate.
  const auto cert = *h().db.certificate(kMac);
  h().give(IssuedIdentity{{}, cert.pem, cert.sha256});
  const auto out = h().run("inject-identity");
  ASSERT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  EXPECT_EQ(out.details["note"], "the device already holds the issued identity");
  EXPECT_EQ(h().ca.sign_calls(), 1u) << "not issued again";
}

TEST_F(StepBodiesOnAChip, InjectIdentityOnAResumedRunReissuesWhenTheDeviceLostItsIdentity) {
  start();
  run_through({"connect", "allocate-serial", "issue-identity"});
  const auto cert = *h().db.certificate(kMac);
  h().give(IssuedIdentity{{}, cert.pem, cert.sha256});  // stopped before the write
  const auto out = h().run("inject-identity");
  ASSERT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  EXPECT_TRUE(out.details.contains("reissued")) << out.details;
  EXPECT_EQ(h().ca.sign_calls(), 2u);
  ASSERT_EQ(h().db.revocations(kMac).size(), 1u) << "the certificate whose key was lost is revoked";
  EXPECT_EQ(h().db.revocations(kMac)[0].certificate.sha256, cert.sha256);
  const auto actions = h().audit_actions(kMac);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "identity.revoked"), 1);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "identity.reissued"), 1);
  const auto& partition = *h().firmware.secure_cert;
  const auto identity = image::read_secure_cert_identity(flash_at(chip(), partition.offset, partition.size));
  EXPECT_EQ(identity.device_cert, h().db.certificate(kMac)->pem) << "the DB holds the new certificate";
  EXPECT_NE(identity.device_cert, cert.pem);
}

TEST_F(StepBodiesOnAChip, InjectIdentityReconcilesAReissueAnEarlierRunLeftOpen) {
  start();
  run_through({"connect", "allocate-serial", "issue-identity"});
  const auto cert = *h().db.certificate(kMac);
  h().give(IssuedIdentity{{}, cert.pem, cert.sha256});
  // The earlier run's re-issue: its intent written, then the station stopped.
  h().audit.append(
      {"identity.sign.begin", kMac, h().output<SerialAllocation>()->serial, {{"ca", "fake"}, {"reissue", true}}});
  ASSERT_EQ(h().run("inject-identity").verdict, StepVerdict::Continue);
  EXPECT_TRUE(open_intents(h().audit_entries(kMac), kMac).empty()) << "every intent is closed";
  const auto actions = h().audit_actions(kMac);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "identity.sign.reconciled"), 1);
}

TEST_F(StepBodiesOnAChip, PlanSecurityPlansTheProfilesBurnForABlankChipAndBurnsNothing) {
  start();
  run_through({"connect"});
  const unsigned cycles_before = chip().chip().efuse().program_cycles();
  const auto out = h().run("plan-security");
  ASSERT_EQ(out.verdict, StepVerdict::Continue) << out.reason;
  const auto* planned = h().output<SecurityPlan>();
  ASSERT_NE(planned, nullptr);
  ASSERT_TRUE(planned->plan.has_value());
  ASSERT_TRUE(planned->fe_key.has_value()) << "the profile asks for flash encryption";
  EXPECT_TRUE(planned->fe_key_fresh);
  std::set<std::string> fields;
  bool after_boot = false;
  for (const auto& batch : planned->plan->batches) {
    after_boot = after_boot || batch.after_boot_verified;
    for (const auto& write : batch.fields) fields.insert(write.field);
  }
  for (const char* wanted : {"SPI_BOOT_CRYPT_CNT", "SECURE_BOOT_EN", "ENABLE_SECURITY_DOWNLOAD"}) {
    EXPECT_TRUE(fields.count(wanted)) << wanted;
  }
  EXPECT_TRUE(after_boot) << "the final lock waits for the verified boot";
  EXPECT_EQ(chip().chip().efuse().program_cycles(), cycles_before);
}

TEST_F(StepBodiesOnAChip, BurnFeKeyLeavesTheKeyReadableAndBurnEfusesHidesItAndTurnsEncryptionOn) {
  start();
  run_through({"connect", "flash-factory", "allocate-serial", "issue-identity", "inject-identity", "plan-security"});
  const auto* planned = h().output<SecurityPlan>();
  ASSERT_TRUE(planned && planned->fe_key);
  const auto key_block_bytes = planned->fe_key->efuse_block_bytes(0);
  unsigned key_block = 6;
  for (const auto& batch : planned->plan->batches) {
    for (const auto& write : batch.key_blocks) {
      if (write.source == security::KeySource::DeviceFlashEncryptionKey) key_block = write.key_block;
    }
  }
  ASSERT_LT(key_block, 6u);
  const auto fe_key = h().run("burn-fe-key");
  ASSERT_EQ(fe_key.verdict, StepVerdict::Continue) << fe_key.reason;
  EXPECT_TRUE(h().output<FeKeyBurn>()->burned_now);
  const auto on_chip = chip().chip().efuse().key_block(key_block);
  EXPECT_TRUE(std::equal(on_chip.begin(), on_chip.end(), key_block_bytes.view().begin()))
      << "the chip holds this run's key, still readable";
  EXPECT_FALSE(chip().chip().efuse().flash_encryption_enabled());
  run_through({"flash-production"});
  const auto burn = h().run("burn-efuses");
  ASSERT_EQ(burn.verdict, StepVerdict::Continue) << burn.reason;
  EXPECT_TRUE(chip().chip().efuse().flash_encryption_enabled());
  EXPECT_FALSE(chip().chip().efuse().secure_download_mode()) << "the final lock waits for verify-boot";
  EXPECT_TRUE(h().db.efuse_snapshot(kMac, "after-burn").has_value());
  // Read through the loader, as any host would: RD_DIS set, the block reads as zeros.
  security::LoaderEfuseRegisters registers(device_session(h().ctx).client());
  const auto efuses = security::read_efuses(registers);
  EXPECT_TRUE(efuses.read_protected(static_cast<int>(key_block)));
  EXPECT_EQ(efuses.block_bytes(chip::kEsp32s3.efuse.first_key_block + key_block), Bytes(32, 0));
}

TEST_F(StepBodiesOnAChip, VerifyBootAndFinalLockProveAndLockTheChip) {
  start();
  run_through({"connect", "flash-factory", "allocate-serial", "issue-identity", "inject-identity", "plan-security",
               "burn-fe-key", "flash-production", "burn-efuses"});
  const auto boot = h().run("verify-boot");
  ASSERT_EQ(boot.verdict, StepVerdict::Continue) << boot.reason;
  EXPECT_TRUE(boot.details["secure_boot_verified"].get<bool>());
  EXPECT_TRUE(boot.details["flash_encryption_release"].get<bool>());
  EXPECT_EQ(boot.details["reported_serial"], h().output<SerialAllocation>()->serial);
  EXPECT_EQ(boot.details["reported_cert_sha256"], h().db.certificate(kMac)->sha256);
  EXPECT_EQ(boot.details["app_offset"], h().firmware.production_slot->offset);
  EXPECT_FALSE(chip().chip().efuse().secure_download_mode());

  const auto lock = h().run("final-lock");
  ASSERT_EQ(lock.verdict, StepVerdict::Continue) << lock.reason;
  EXPECT_TRUE(chip().chip().efuse().secure_download_mode());
  EXPECT_TRUE(chip().chip().efuse().flash_encryption_enabled());
  EXPECT_EQ(h().output<SecurityPlan>(), nullptr) << "the host copy of the key is released";
  const auto actions = h().audit_actions(kMac);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "efuse.final_lock"), actions.end());
}

TEST_F(StepBodiesOnAChip, VerifyBootStopsWhenTheAppReportsAnotherIdentity) {
  start();
  run_through({"connect", "flash-factory", "allocate-serial", "issue-identity", "inject-identity", "plan-security",
               "burn-fe-key", "flash-production", "burn-efuses"});
  h().give(SerialAllocation{"ESP-999999"});  // not what the device was given
  const auto out = h().run("verify-boot");
  EXPECT_EQ(out.verdict, StepVerdict::Stop);
  EXPECT_NE(out.reason.find("issued 'ESP-999999'"), std::string::npos) << out.reason;
  EXPECT_FALSE(chip().chip().efuse().secure_download_mode()) << "no lock after a failed proof";
}

// ---- [identity] container = "ds" ----

void use_ds_container(StationProfile& profile) {
  profile.identity.container = IdentityContainer::Ds;
  profile.identity.key_type = pki::KeyType::Rsa2048;  // the quicker of the two sizes
  profile.identity.ds_key_block = 5;
  profile.security.ds_hmac_key_block = 5;
}

// Signs with the chip's DS over the partition's parameters and checks the signature with the
// certificate's public key: the sealed parameters match the key block.
bool chip_signs_for_certificate(const emulator::EfuseController& efuse, const image::SecureCertDsIdentity& identity) {
  const auto key = emulator::DeviceDsKey::make(efuse, identity);
  OpenSslHandle<BIO, BIO_free> bio(
      BIO_new_mem_buf(identity.device_cert.data(), static_cast<int>(identity.device_cert.size())));
  OpenSslHandle<X509, X509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  const Bytes message = to_bytes("TLS CertificateVerify");
  std::size_t length = 0;
  OpenSslHandle<EVP_MD_CTX, EVP_MD_CTX_free> sign(EVP_MD_CTX_new());
  if (EVP_DigestSignInit(sign.get(), nullptr, EVP_sha256(), nullptr, key->key()) != 1 ||
      EVP_DigestSign(sign.get(), nullptr, &length, message.data(), message.size()) != 1)
    return false;
  Bytes signature(length);
  if (EVP_DigestSign(sign.get(), signature.data(), &length, message.data(), message.size()) != 1) return false;
  OpenSslHandle<EVP_MD_CTX, EVP_MD_CTX_free> verify(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(cert.get())) == 1 &&
         EVP_DigestVerify(verify.get(), signature.data(), length, message.data(), message.size()) == 1;
}

TEST_F(StepBodiesOnAChip, DsIdentityIsSealedItsKeyBurnedHiddenThenWipedAndTheChipSignsWithIt) {
  start();
  use_ds_container(h().profile);
  run_through({"connect", "flash-factory", "allocate-serial", "issue-identity", "inject-identity"});
  const auto& partition = *h().firmware.secure_cert;
  const Bytes written = flash_at(chip(), partition.offset, partition.size);
  const auto identity = image::read_secure_cert_ds_identity(written);
  EXPECT_EQ(identity.device_cert, h().db.certificate(kMac)->pem);
  EXPECT_EQ(identity.rsa_bits, 2048u);
  EXPECT_EQ(identity.efuse_key_id, 5u);
  EXPECT_ANY_THROW((void)image::read_secure_cert_identity(written)) << "no private-key record";
  EXPECT_EQ(h().output<IssuedIdentity>(), nullptr) << "the RSA key is freed once sealed";
  const auto* injected = h().output<InjectedIdentity>();
  ASSERT_TRUE(injected && injected->ds_hmac_key);
  ASSERT_EQ(injected->ds_hmac_key->size(), 32u);
  const SecretBytes hmac_key = injected->ds_hmac_key->clone();

  run_through({"plan-security"});
  const auto early = h().run("burn-fe-key");
  ASSERT_EQ(early.verdict, StepVerdict::Continue) << early.reason;
  EXPECT_TRUE(injected->ds_hmac_key->empty()) << "the host copy is wiped once burned";
  const auto on_chip = chip().chip().efuse().key_block(5);
  EXPECT_TRUE(std::equal(on_chip.begin(), on_chip.end(), hmac_key.view().begin()));
  EXPECT_TRUE(chip_signs_for_certificate(chip().chip().efuse(), identity));
  // Read through the loader: purpose DS, RD_DIS set, the block reads as zeros.
  security::LoaderEfuseRegisters registers(device_session(h().ctx).client());
  const auto efuses = security::read_efuses(registers);
  EXPECT_EQ(efuses.field_uint("KEY_PURPOSE_5"), 7u);
  EXPECT_TRUE(efuses.read_protected(5));
  EXPECT_EQ(efuses.block_bytes(chip::kEsp32s3.efuse.first_key_block + 5), Bytes(32, 0));
  // The rest of the plan finds the DS block done without the key.
  run_through({"flash-production", "burn-efuses", "verify-boot"});
}

TEST_F(StepBodiesOnAChip, ADsKeyLostBeforeItsBurnRejectsTheDeviceBeforeAnythingBurns) {
  start();
  use_ds_container(h().profile);
  run_through({"connect", "flash-factory", "allocate-serial", "issue-identity", "inject-identity"});
  // The station stopped after inject-identity: the resumed run has the certificate, not the key.
  const auto cert = *h().db.certificate(kMac);
  h().give(InjectedIdentity{{}, cert.pem, cert.sha256, nullptr});
  const unsigned cycles_before = chip().chip().efuse().program_cycles();
  const auto out = h().run("plan-security");
  EXPECT_EQ(out.verdict, StepVerdict::Fail);
  EXPECT_NE(out.reason.find("the DS key this device's identity was sealed with was lost"), std::string::npos)
      << out.reason;
  EXPECT_EQ(chip().chip().efuse().program_cycles(), cycles_before) << "nothing burned";
}

TEST_F(StepBodiesOnAChip, NoDsIdentityIsSealedForAKeyBlockThatHoldsAKeyAlready) {
  start();
  use_ds_container(h().profile);
  run_through({"connect", "allocate-serial", "issue-identity"});
  // A DS key already in BLOCK_KEY5 (connect leaves a chip that someone else burned untouched; this
  // is one an earlier run of this station burned): a new sealing could never match it.
  emulator::test_burn::burn_key(chip().chip().efuse(), 5, Bytes(32, 0x5A),
                                chip::esp32s3_efuse::KeyPurpose::HmacDownDigitalSignature);
  h().give(ConnectResult{kMac, "", read_device_efuses(h().ctx)});
  const auto cert = *h().db.certificate(kMac);
  h().give(IssuedIdentity{{}, cert.pem, cert.sha256});  // resumed: the device does not hold it yet
  const auto& partition = *h().firmware.secure_cert;
  const Bytes before = flash_at(chip(), partition.offset, partition.size);
  const auto out = h().run("inject-identity");
  EXPECT_EQ(out.verdict, StepVerdict::Stop);
  EXPECT_NE(out.reason.find("BLOCK_KEY5 (the DS key block) already holds a key"), std::string::npos) << out.reason;
  EXPECT_EQ(flash_at(chip(), partition.offset, partition.size), before) << "nothing written";
  EXPECT_EQ(h().ca.sign_calls(), 1u) << "no certificate issued for a sealing that cannot be made";
}

}  // namespace
}  // namespace espfab::station
