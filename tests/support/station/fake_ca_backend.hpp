// A CA in memory: a P-256 key and a self-signed certificate made at construction, device
// certificates signed like the local CA's (certificate_builder.hpp) and numbered 1, 2, ... with an
// index kept in memory. Records every CSR's subject; knobs make sign() throw, hide the index (a
// remote CA keeps none) or add an entry the station never heard of (signed, then the station died).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pki/ca_backend.hpp"
#include "util/crypto.hpp"

namespace espfab::test {

class FakeCaBackend final : public pki::CaBackend {
 public:
  FakeCaBackend();

  pki::IssuedCertificate sign(X509_REQ* csr, const pki::IssueProfile& profile) override;
  std::string ca_certificate_pem() const override { return certificate_pem_; }
  std::string describe() const override { return "fake CA (in memory)"; }
  std::optional<std::vector<pki::IndexEntry>> issued_index() const override;

  // Called at the start of sign(); a test makes it throw (IoError for a CA that is down, ...).
  std::function<void()> before_sign;
  // false: issued_index() is nullopt, like a remote CA's.
  bool keeps_index = true;
  // Signs `csr` and keeps it in the index only, as if the station had stopped before recording it.
  pki::IssuedCertificate sign_unrecorded(X509_REQ* csr, const pki::IssueProfile& profile = {});

  // The subjects (RFC 2253) of the CSRs sign() was asked for, in order.
  const std::vector<std::string>& signed_subjects() const noexcept { return signed_subjects_; }
  std::size_t sign_calls() const noexcept { return sign_calls_; }

 private:
  crypto::EvpPkeyPtr key_;
  std::string certificate_pem_;
  std::uint64_t next_serial_ = 1;
  std::size_t sign_calls_ = 0;
  std::vector<std::string> signed_subjects_;
  std::vector<pki::IndexEntry> index_;
};

}  // namespace espfab::test
