// The typed outputs of the provisioning steps (provisioning_steps.hpp): each is produced by one
// step and read, const, by the later steps that declare it as an input. Secrets (the device key,
// the esp_secure_cert partition, the flash-encryption key) live only in these values and are
// wiped when the pipeline destroys them at teardown.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"
#include "util/crypto.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::station {

// connect: who the device is. `serial` is the one the DB holds already (a resumed or re-seen
// device; a chip in Secure Download Mode is known by its fixture), empty for a new device.
struct ConnectResult {
  std::string mac;
  std::string serial;
  security::EfuseImage efuses;  // as read at connect (empty for a chip in Secure Download Mode)
};

// allocate-serial.
struct SerialAllocation {
  std::string serial;
};

// issue-identity: the certificate (public) and its key, which exists only in memory; no key when
// the certificate was issued in an earlier run (the key died with that run's station) or when the
// step was skipped as done.
struct IssuedIdentity {
  crypto::EvpPkeyPtr key;
  std::string certificate_pem;
  std::string certificate_sha256;
};

// inject-identity: the identity the device holds (a re-issue replaces the certificate) and the
// partition written, kept for flash-production to write it encrypted; empty when the device held
// it already (flash-production reads it back from the device).
//
// With [identity] container = "ds", `ds_hmac_key` is the HMAC key the RSA key was sealed with in
// this run (the RSA key itself is gone): the only copy, until burn-fe-key burns it read-protected
// into the DS key block and wipes it (shared so that step can wipe it through this const output).
// Null when the identity was sealed in an earlier run (plan-security then requires the key block to
// be burned, or rejects the device: docs/station.md, "The DS key").
struct InjectedIdentity {
  SecretBytes secure_cert_partition;
  std::string certificate_pem;
  std::string certificate_sha256;
  std::shared_ptr<SecretBytes> ds_hmac_key;
};

// plan-security: the eFuse plan, the image it was planned from (a resumed run plans from the
// before-burn snapshot) and the device's flash-encryption key when the host holds one. All empty
// for a chip already in Secure Download Mode.
struct SecurityPlan {
  std::optional<security::EfuseImage> planned_from;
  std::optional<security::BurnPlan> plan;
  std::optional<security::FlashEncryptionKey> fe_key;
  bool fe_key_fresh = false;  // generated in this run: not on the chip yet
};

// burn-fe-key: whether it burned the fresh key into its block(s) now.
struct FeKeyBurn {
  bool burned_now = false;
};

}  // namespace espfab::station
