// Device certificates for registry tests, issued by a local CA in a temporary directory.
#pragma once

#include <filesystem>
#include <string>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "util/crypto.hpp"

namespace espfab::test {

struct DeviceCertificate {
  std::string certificate_pem;
  std::string key_pem;
};

inline DeviceCertificate issue_device_certificate(pki::LocalCa& ca, const std::string& serial,
                                                  const std::string& mac = "7c:df:a1:00:00:01") {
  auto key = pki::generate_key(pki::KeyType::EcP256);
  pki::SubjectTemplate subject;
  const auto csr = pki::make_csr(key.get(), subject, {serial, mac});
  DeviceCertificate out;
  out.certificate_pem = ca.sign(csr.get(), {}).certificate_pem;
  const auto pem = crypto::private_key_pem(key.get());
  out.key_pem.assign(reinterpret_cast<const char*>(pem.data()), pem.size());
  return out;
}

}  // namespace espfab::test
