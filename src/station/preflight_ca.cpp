// Preflight: the company CA the profile's [ca] names. For every backend the CA certificate must be a
// CA (basicConstraints CA:TRUE, keyUsage keyCertSign), valid now and for the whole lifetime of the
// device certificates the profile asks for, and chain to the trust anchors the broker registration
// uses. The local CA's key must match its certificate. An HSM's key and a CMP server are not
// touched (nothing is issued): their certificate file is what can be checked.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <ctime>

#include "pki/local_ca.hpp"
#include "pki/openssl_types.hpp"
#include "station/preflight_checks.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station::preflight {
namespace {

std::string time_text(const ASN1_TIME* time) {
  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// The [ca] key that names the certificate file, for the finding's place.
const char* certificate_key(const StationProfile& profile) {
  switch (profile.ca_backend) {
    case StationProfile::CaBackendKind::Local: return "ca.dir";
    case StationProfile::CaBackendKind::Pkcs11: return "ca.certificate";
    case StationProfile::CaBackendKind::Cmp: return "ca.ca_certificate";
  }
  return "ca";
}

void check_certificate(const StationProfile& profile, X509* cert, Findings& findings) {
  const char* key = certificate_key(profile);
  findings.ran("ca.is_ca");
  if (X509_check_ca(cert) < 1) {
    findings.error("ca.is_ca", key, "the CA certificate is not a CA (no basicConstraints CA:TRUE)",
                   "devices would hold certificates that no verifier accepts; use the company CA's certificate");
  }
  const std::uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
    findings.error("ca.is_ca", key, "the CA certificate's keyUsage lacks keyCertSign",
                   "a CA certificate must allow certificate signing (keyUsage keyCertSign)");
  }
  findings.ran("ca.validity");
  const ASN1_TIME* not_before = X509_get0_notBefore(cert);
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  if (X509_cmp_current_time(not_before) >= 0) {
    findings.error("ca.validity", key,
                   fmt::format("the CA certificate is not valid yet (from {})", time_text(not_before)),
                   "check the station's clock, or use a CA certificate that is valid now");
    return;
  }
  if (X509_cmp_current_time(not_after) <= 0) {
    findings.error("ca.validity", key, fmt::format("the CA certificate expired on {}", time_text(not_after)),
                   "renew the company CA certificate");
    return;
  }
  const auto days = profile.identity.issue.validity.count();
  std::time_t device_end = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  if (X509_cmp_time(not_after, &device_end) < 0) {
    findings.error("ca.validity", "identity.validity_days",
                   fmt::format("device certificates are issued for {} days, but the CA certificate expires on {}: "
                               "they would outlive their issuer",
                               days, time_text(not_after)),
                   "lower [identity] validity_days, or renew the CA certificate for longer");
  }
}

// The broker verifies device certificates against its own trust anchors; the profile's
// [registration] ca_file is the closest thing the station knows of them.
void check_chain_to_registry(const StationProfile& profile, X509* cert, Findings& findings) {
  if (!profile.registration.broker || profile.registration.broker->ca_file.empty()) return;
  findings.ran("ca.chain");
  const auto& anchors = profile.registration.broker->ca_file;
  const std::string pem = read_text_file(anchors);
  pki::X509StorePtr store(X509_STORE_new());
  pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (X509* anchor = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), anchor);
    X509_free(anchor);
  }
  ERR_clear_error();
  pki::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert, nullptr) != 1) return;
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) != 1) {
    findings.warning(
        "ca.chain", "registration.ca_file",
        fmt::format("the device CA does not chain to {} ({}): a broker that trusts only those anchors will refuse "
                    "the devices' certificates",
                    anchors.string(), X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))),
        "make sure the broker's client-certificate trust (mosquitto's cafile) includes the device CA");
  }
}

}  // namespace

std::string ca_certificate_pem(const StationProfile& profile) {
  std::filesystem::path file;
  switch (profile.ca_backend) {
    case StationProfile::CaBackendKind::Local: file = profile.ca_dir / "ca.crt"; break;
    case StationProfile::CaBackendKind::Pkcs11: file = profile.pkcs11.certificate; break;
    case StationProfile::CaBackendKind::Cmp: file = profile.cmp.ca_certificate; break;
  }
  return std::filesystem::is_regular_file(file) ? read_text_file(file) : "";
}

void check_ca(const StationProfile& profile, Findings& findings) {
  findings.ran("ca.open");
  if (profile.ca_backend == StationProfile::CaBackendKind::Local) {
    try {
      pki::LocalCa::open(profile.ca_dir);  // files present, key matches certificate
    } catch (const Error& error) {
      findings.error("ca.open", "ca.dir", error.message(), error.hint());
      return;
    }
  }
  const std::string pem = ca_certificate_pem(profile);
  if (pem.empty()) {
    findings.error("ca.open", certificate_key(profile), "the CA certificate file does not exist",
                   "give the CA certificate (PEM) the devices chain to");
    return;
  }
  pki::X509Ptr cert;
  try {
    cert = pki::certificate_from_pem(pem, "CA certificate");
  } catch (const Error& error) {
    findings.error("ca.open", certificate_key(profile), error.message(), error.hint());
    return;
  }
  check_certificate(profile, cert.get(), findings);
  check_chain_to_registry(profile, cert.get(), findings);
}

}  // namespace espfab::station::preflight
