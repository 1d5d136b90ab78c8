#include "service/ca_operations.hpp"

#include "pki/local_ca.hpp"
#include "pki/openssl_types.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

CaInitResult init_local_ca(const CaInitRequest& request) {
  const pki::LocalCa ca = pki::LocalCa::init(
      request.dir, {.common_name = request.common_name.empty() ? kDefaultLocalCaName : request.common_name,
                    .organization = request.organization,
                    .validity = request.validity});
  return {.description = ca.describe()};
}

CaInitResult init_pkcs11_ca(const CaInitRequest& request, const pki::Pkcs11CaConfig& config) {
  pki::CaCertificateSpec subject;
  subject.common_name = request.common_name.empty() ? kDefaultHsmCaName : request.common_name;
  subject.organization = request.organization;
  subject.validity = request.validity;
  pki::self_sign_ca_certificate(config, subject);
  // Opening it proves the result: the certificate, the state and the token's key belong together.
  CaInitResult result{.description = pki::Pkcs11Ca::open(config).describe(), .profile = config};
  pki::Pkcs11CaConfig& profile = *result.profile;
  if (!profile.pin_file.empty()) profile.pin_file = std::filesystem::absolute(profile.pin_file);
  profile.certificate = std::filesystem::absolute(profile.certificate);
  profile.state_dir = std::filesystem::absolute(profile.state_dir);
  return result;
}

}  // namespace

CaInitResult init_ca(const CaInitRequest& request) {
  if (request.pkcs11) return init_pkcs11_ca(request, *request.pkcs11);
  return init_local_ca(request);
}

CaSignResult sign_certificate_request(const CaSignRequest& request) {
  pki::LocalCa ca = pki::LocalCa::open(request.ca_dir);
  const pki::X509ReqPtr csr =
      pki::csr_from_pem(read_text_file(request.csr), "certificate request " + request.csr.string());
  const pki::IssuedCertificate issued =
      ca.sign(csr.get(), {.validity = request.validity, .server_auth = request.server_auth});
  std::string out = issued.certificate_pem;
  if (request.chain) {
    for (const auto& pem : issued.chain_pem) out += pem;
  }
  write_text_file_atomic(request.output, out);
  return {.serial_hex = issued.serial_hex, .subject = issued.subject, .ca_description = ca.describe()};
}

}  // namespace espfab::service
