// Phase 2a: the serial number, the identity (key pair in memory, CSR, CA signature) and its
// esp_secure_cert partition on the device.
#include <openssl/x509.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "chip/esp32s3.hpp"
#include "flash/reader.hpp"
#include "image/identity_partitions.hpp"
#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/openssl_types.hpp"
#include "station/ds_identity.hpp"
#include "station/provisioning_steps.hpp"
#include "station/serial_lease.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

// issue-identity's key pair, made in the background (start_device_key); EVP_PKEY_free clears it.
struct PreparedDeviceKey {
  crypto::EvpPkeyPtr key;
  pki::KeyType type;
};

std::string certificate_sha256(const std::string& pem) {
  const auto cert = pki::certificate_from_pem(pem, "device certificate");
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  if (length <= 0) throw CryptoError("station.cert_der", "cannot encode the device certificate as DER");
  const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  return to_hex(ByteView(digest.data(), digest.size()));
}

// An "identity.sign.begin" an earlier run left open (it stopped between the intent and the
// "identity.issued" line) is reconciled from the DB and the CA index: the certificate the DB holds,
// or one the CA issued for this serial that nobody recorded (its key is lost: revoked), or none.
void reconcile_sign_intents(DeviceContext& ctx, const std::string& mac, const std::string& serial) {
  auto& db = ctx.station.db;
  const auto entries = read_audit_entries(ctx.station.audit.file(), mac);
  for (const auto& intent : open_intents(entries, mac)) {
    if (intent.value("action", "") != "identity.sign.begin") continue;
    std::set<std::string> audited;
    for (const auto& e : entries) {
      const auto& d = e.value("details", nlohmann::json::object());
      if (d.is_object() && d.contains("certificate_sha256")) audited.insert(d["certificate_sha256"].get<std::string>());
    }
    std::set<std::string> known;
    if (const auto cert = db.certificate(mac)) known.insert(cert->sha256);
    for (const auto& r : db.revocations(mac)) known.insert(r.certificate.sha256);
    nlohmann::json certificates = nlohmann::json::array();
    if (const auto cert = db.certificate(mac); cert && audited.count(cert->sha256) == 0) {
      certificates.push_back({{"certificate_serial", cert->certificate_serial},
                              {"certificate_sha256", cert->sha256},
                              {"state", "issued and recorded in the station DB"}});
    }
    const auto index = ctx.station.ca.issued_index();
    for (const auto& entry : index.value_or(std::vector<pki::IndexEntry>{})) {
      if (!pki::issued_to(entry, serial) || known.count(entry.sha256) != 0 || audited.count(entry.sha256) != 0) {
        continue;
      }
      // Signed, then lost before the station recorded it: the key died with the station.
      certificates.push_back({{"certificate_serial", entry.serial_hex},
                              {"certificate_sha256", entry.sha256},
                              {"state", "issued by the CA but never recorded; its key is lost: revoked"}});
      db.store_revocation({mac, serial, entry.serial_hex, entry.sha256, "", ""},
                          "issued while the station stopped; the private key was lost");
    }
    const char* found = !certificates.empty() ? "issued"
                        : index               ? "nothing was issued"
                                              : "unknown: this CA keeps no index to ask";
    ctx.station.audit.append(
        {"identity.sign.reconciled",
         mac,
         serial,
         {{"intent", intent.value("hash", "")}, {"found", found}, {"certificates", certificates}}});
  }
}

// Key pair, CSR, signature; the certificate (public) goes to the DB and the audit log, the key
// stays in the returned identity only.
IssuedIdentity issue(DeviceContext& ctx, const std::string& mac, const std::string& serial, bool reissue,
                     nlohmann::json& facts) {
  const auto& identity = ctx.station.profile.identity;
  IssuedIdentity issued_identity;
  auto prepared = ctx.background.take<PreparedDeviceKey>();
  const bool key_made_in_background = prepared && prepared->type == identity.key_type;
  issued_identity.key = key_made_in_background ? std::move(prepared->key) : pki::generate_key(identity.key_type);
  const auto csr = pki::make_csr(issued_identity.key.get(), identity.subject, {serial, mac});
  // Write-ahead: the intent before the CA signs, so a stop in between is found and reconciled.
  const auto intent = ctx.station.audit.append(
      {"identity.sign.begin", mac, serial, {{"ca", ctx.station.ca.describe()}, {"reissue", reissue}}});
  const auto issued = ctx.station.ca.sign(csr.get(), identity.issue);
  issued_identity.certificate_pem = issued.certificate_pem;
  issued_identity.certificate_sha256 = certificate_sha256(issued.certificate_pem);
  ctx.station.db.store_certificate(
      {mac, serial, issued.serial_hex, issued_identity.certificate_sha256, issued.certificate_pem, utc_now_iso()});
  facts = {{"certificate_serial", issued.serial_hex},
           {"certificate_sha256", issued_identity.certificate_sha256},
           {"subject", issued.subject},
           {"key", pki::key_type_name(identity.key_type)},
           {"key_made_in_background", key_made_in_background},
           {"ca", ctx.station.ca.describe()}};
  auto completion = facts;
  completion["intent"] = intent;
  ctx.station.audit.append({reissue ? "identity.reissued" : "identity.issued", mac, serial, completion});
  return issued_identity;
}

// Revokes the certificate the DB holds for the device (`reason` in the revocations table) with an
// "identity.revoked" audit line giving `audit_reason`; its facts, or null when the DB held none.
nlohmann::json revoke_recorded_certificate(DeviceContext& ctx, const std::string& mac, const std::string& serial,
                                           const std::string& reason, const std::string& audit_reason) {
  const auto revoked = ctx.station.db.revoke_certificate(mac, reason);
  if (!revoked) return nullptr;
  nlohmann::json revocation = {{"certificate_serial", revoked->certificate_serial},
                               {"certificate_sha256", revoked->sha256},
                               {"reason", audit_reason}};
  ctx.station.audit.append({"identity.revoked", mac, serial, revocation});
  return revocation;
}

// The DS key block as the device's eFuses (read at connect) show it: free for a new key, or not.
bool ds_key_block_free(const security::EfuseImage& efuses, unsigned key_block) {
  const unsigned block = chip::kEsp32s3.efuse.first_key_block + key_block;
  const Bytes data = efuses.block_bytes(block);
  return efuses.field_uint(fmt::format("KEY_PURPOSE_{}", key_block)) == 0 &&
         std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; }) &&
         !efuses.read_protected(static_cast<int>(key_block));
}

// With container "ds": a new identity needs a DS key block nobody burned (one that holds a key
// already can never match a new sealing); the step's stop for an engineer when it is not.
std::optional<StepOutcome> refuse_sealing_into_a_used_block(DeviceContext& ctx, const nlohmann::json& details) {
  const auto& identity = ctx.station.profile.identity;
  if (identity.container != IdentityContainer::Ds ||
      ds_key_block_free(ctx.input<ConnectResult>().efuses, identity.ds_key_block)) {
    return std::nullopt;
  }
  return StepOutcome{StepVerdict::Stop,
                     fmt::format("BLOCK_KEY{} (the DS key block) already holds a key or protection bits, so a new DS "
                                 "identity cannot be sealed for this device; an engineer must handle it (espfab efuse "
                                 "summary)",
                                 identity.ds_key_block),
                     {},
                     details};
}

bool contains(ByteView haystack, std::string_view needle) {
  const auto* begin = reinterpret_cast<const char*>(haystack.data());
  return std::string_view(begin, haystack.size()).find(needle) != std::string_view::npos;
}

}  // namespace

void start_device_key(DeviceContext& ctx) {
  // Only for a device that will be issued an identity now (a resumed one may hold its certificate).
  if (!ctx.station.firmware.secure_cert || ctx.mac().empty() || ctx.station.db.certificate(ctx.mac())) return;
  const auto type = ctx.station.profile.identity.key_type;
  ctx.background.start<PreparedDeviceKey>([type] { return PreparedDeviceKey{pki::generate_key(type), type}; });
}

StepOutcome step_allocate_serial(DeviceContext& ctx) {
  const std::string& mac = ctx.input<ConnectResult>().mac;
  SerialAllocation allocation{ctx.station.serial_lease != nullptr
                                  ? ctx.station.serial_lease->allocate(mac)
                                  : ctx.station.db.allocate_serial(mac, ctx.station.profile.serial)};
  StepOutcome out;
  out.details["serial"] = allocation.serial;
  out.output = StepOutput::of(std::move(allocation));
  return out;
}

StepOutcome step_issue_identity(DeviceContext& ctx) {
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const std::string serial = device_serial(ctx);
  reconcile_sign_intents(ctx, mac, serial);
  StepOutcome out;
  if (const auto existing = ctx.station.db.certificate(mac)) {
    // Issued before the station stopped; inject-identity finds out whether the device holds it.
    out.details = {{"certificate_serial", existing->certificate_serial},
                   {"certificate_sha256", existing->sha256},
                   {"note", "issued in an earlier run"}};
    out.output = StepOutput::of(IssuedIdentity{nullptr, existing->pem, existing->sha256});
    return out;
  }
  nlohmann::json facts;
  out.output = StepOutput::of(issue(ctx, mac, serial, false, facts));
  out.details = std::move(facts);
  return out;
}

StepOutcome step_inject_identity(DeviceContext& ctx) {
  const auto& partition = *ctx.station.firmware.secure_cert;
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const std::string serial = device_serial(ctx);
  const auto& issued = ctx.input<IssuedIdentity>();
  EVP_PKEY* key = issued.key.get();
  std::string certificate_pem = issued.certificate_pem;
  std::string certificate_sha256 = issued.certificate_sha256;
  IssuedIdentity reissued;  // owns the key of a re-issue for the length of this step
  StepOutcome out;
  if (key == nullptr) {
    // A resumed run: the key of the issued certificate existed only in the stopped station's
    // memory. If the device already holds it, the step is done; otherwise that certificate is
    // revoked (its key is gone) and a new identity issued. A re-issue an earlier run began here
    // and never finished left its intent open: reconciled first, as issue-identity does.
    reconcile_sign_intents(ctx, mac, serial);
    const auto cert = ctx.station.db.certificate(mac);
    Bytes on_device = flash::read_flash(device_session(ctx), partition.offset, partition.size, {});
    const bool held = cert && contains(on_device, cert->pem.substr(0, cert->pem.size() - 1));
    secure_wipe(on_device.data(), on_device.size());  // it holds the device key
    if (held) {
      out.details["note"] = "the device already holds the issued identity";
      out.output = StepOutput::of(InjectedIdentity{{}, cert->pem, cert->sha256, nullptr});
      return out;
    }
    if (auto refused = refuse_sealing_into_a_used_block(ctx, out.details)) return std::move(*refused);
    if (cert) {
      auto revoked = revoke_recorded_certificate(
          ctx, mac, serial, "its private key was lost when the station stopped before the device held it",
          "key lost before injection: reissued");
      if (!revoked.is_null()) out.details["revoked"] = std::move(revoked);
    }
    nlohmann::json facts;
    reissued = issue(ctx, mac, serial, true, facts);
    out.details["reissued"] = std::move(facts);
    key = reissued.key.get();
    certificate_pem = reissued.certificate_pem;
    certificate_sha256 = reissued.certificate_sha256;
  }
  const std::string ca_pem = ctx.station.ca.ca_certificate_pem();
  const auto& identity = ctx.station.profile.identity;
  SecretBytes tlv;
  std::shared_ptr<SecretBytes> ds_hmac_key;
  if (identity.container == IdentityContainer::Ds) {
    if (auto refused = refuse_sealing_into_a_used_block(ctx, out.details)) return std::move(*refused);
    auto sealed = seal_ds_identity(certificate_pem, ca_pem, key, identity.ds_key_block);
    tlv = std::move(sealed.secure_cert_partition);
    ds_hmac_key = std::make_shared<SecretBytes>(std::move(sealed.hmac_key));
    out.details["container"] = "ds";
    out.details["ds"] = {{"rsa_bits", sealed.rsa_bits},
                         {"key_block", fmt::format("BLOCK_KEY{}", identity.ds_key_block)},
                         {"hmac_key", "in memory until burn-fe-key burns it"}};
  } else {
    image::DeviceIdentityMaterial material{certificate_pem, ca_pem, key};
    tlv = image::build_identity_secure_cert(material);
  }
  if (tlv.size() > partition.size) {
    throw BadInputError(
        "station.secure_cert_too_big",
        fmt::format("the identity needs {} bytes, the esp_secure_cert partition has {}", tlv.size(), partition.size),
        "make the esp_secure_cert partition larger in the partition table");
  }
  // The flasher holds its own reference to these bytes only while it writes; wipe them after.
  auto bytes = std::make_shared<Bytes>(tlv.view().begin(), tlv.view().end());
  try {
    out.details["regions"] =
        write_regions(ctx, "inject-identity", {{partition.offset, bytes, "esp_secure_cert", false}}, false, nullptr);
  } catch (...) {
    secure_wipe(bytes->data(), bytes->size());
    throw;
  }
  secure_wipe(bytes->data(), bytes->size());
  out.details["certificate_sha256"] = certificate_sha256;
  out.output =
      StepOutput::of(InjectedIdentity{std::move(tlv), certificate_pem, certificate_sha256, std::move(ds_hmac_key)});
  if (identity.container == IdentityContainer::Ds) {
    // Sealed: the RSA private key is not needed any more (EVP_PKEY_free clears it).
    reissued.key.reset();
    if (issued.key) ctx.release<IssuedIdentity>();
  }
  return out;
}

StepOutcome step_retire_identity(DeviceContext& ctx) {
  StepOutcome out;
  auto& db = ctx.station.db;
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const std::string serial = device_serial(ctx);
  const std::string& reject_reason = ctx.input<Rejection>().reason;
  if (!db.certificate(mac)) {
    out.details["note"] = "no identity was issued to this device";
    return out;
  }
  // The certificate first (the DB alone, always possible), then the partition on the device.
  out.details["revoked"] = revoke_recorded_certificate(ctx, mac, serial, reject_reason, reject_reason);
  const auto& partition = *ctx.station.firmware.secure_cert;
  auto erased = std::make_shared<const Bytes>(partition.size, std::uint8_t{0xFF});
  out.details["regions"] =
      write_regions(ctx, "retire-identity", {{partition.offset, erased, partition.name, false}}, true, nullptr);
  Bytes read_back = flash::read_flash(device_session(ctx), partition.offset, partition.size, {});
  const bool clean = read_back == *erased;
  secure_wipe(read_back.data(), read_back.size());
  if (!clean) {
    return {StepVerdict::Stop,
            fmt::format("the {} partition at 0x{:x} does not read back erased: the device still holds (part of) "
                        "its identity",
                        partition.name, partition.offset),
            {},
            out.details};
  }
  const nlohmann::json erase = {
      {"partition", partition.name}, {"offset", partition.offset}, {"size", partition.size}, {"read_back", "erased"}};
  ctx.station.audit.append({"identity.erased", mac, serial, erase});
  out.details["erased"] = erase;
  // A reworked device starts its identity afresh: these steps are no longer done.
  for (const char* step : {"issue-identity", "inject-identity"}) {
    db.record_step({mac,
                    ctx.station.run_id,
                    step,
                    "retired",
                    utc_now_iso(),
                    0.0,
                    nlohmann::json::array(),
                    "",
                    {{"reason", "the identity was revoked and erased after the device was rejected"}}});
  }
  return out;
}

}  // namespace espfab::station
