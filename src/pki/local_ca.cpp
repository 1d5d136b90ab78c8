#include "pki/local_ca.hpp"

#include <fmt/format.h>

#include "pki/certificate_builder.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::pki {

namespace {

constexpr const char* kKeyFile = "ca.key";
constexpr const char* kCertFile = "ca.crt";
constexpr const char* kSerialFile = "serial";

[[noreturn]] void openssl_fail(const std::string& what) {
  throw CryptoError("pki.ca", what + ": " + crypto::last_openssl_error(), "the OpenSSL installation may be broken");
}

}  // namespace

LocalCa::LocalCa(std::filesystem::path dir, crypto::EvpPkeyPtr key, std::string certificate_pem)
    : dir_(std::move(dir)),
      key_(std::move(key)),
      certificate_pem_(std::move(certificate_pem)),
      certificate_(certificate_from_pem(certificate_pem_, "CA certificate")) {}

LocalCa LocalCa::init(const std::filesystem::path& dir, const LocalCaOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw IoError("pki.ca_io", fmt::format("cannot create the CA directory '{}': {}", dir.string(), ec.message()),
                  "check the path and permissions");
  }
  if (std::filesystem::exists(dir / kKeyFile) || std::filesystem::exists(dir / kCertFile)) {
    throw PolicyRefusalError("pki.ca_exists", fmt::format("'{}' already holds a CA", dir.string()),
                             "a CA is never overwritten; choose an empty directory");
  }
  crypto::EvpPkeyPtr key = crypto::generate_ec_p256();
  const X509Ptr cert = build_ca_certificate(
      key.get(),
      {.common_name = options.common_name, .organization = options.organization, .validity = options.validity});
  const std::string cert_pem = certificate_to_pem(cert.get());
  const SecretBytes key_pem = crypto::private_key_pem(key.get());
  write_file_atomic(dir / kKeyFile, key_pem.view(), 0600);
  write_text_file_atomic(dir / kCertFile, cert_pem);
  init_issuance_state(dir);
  return LocalCa(dir, std::move(key), cert_pem);
}

LocalCa LocalCa::open(const std::filesystem::path& dir) {
  for (const char* file : {kKeyFile, kCertFile, kSerialFile}) {
    if (!std::filesystem::exists(dir / file)) {
      throw BadInputError("pki.ca_missing",
                          fmt::format("'{}' is not a CA directory: {} is missing", dir.string(), file),
                          "create one with 'espfab ca init DIR'");
    }
  }
  const SecretBytes key_pem(read_file(dir / kKeyFile));
  crypto::EvpPkeyPtr key = crypto::load_private_key_pem(key_pem);
  std::string cert_pem = read_text_file(dir / kCertFile);
  LocalCa ca(dir, std::move(key), std::move(cert_pem));
  if (X509_check_private_key(ca.certificate_.get(), ca.key_.get()) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("pki.ca_key_mismatch", fmt::format("{}/ca.key does not belong to ca.crt", dir.string()),
                        "restore the CA directory from a backup");
  }
  return ca;
}

IssuedCertificate LocalCa::sign(X509_REQ* csr, const IssueProfile& profile) {
  return issue_certificate(
      csr, profile, {.certificate = certificate_.get(), .certificate_pem = certificate_pem_, .key = key_.get()}, dir_);
}

std::string LocalCa::describe() const {
  return fmt::format("local CA {} ({})", name_to_string(X509_get_subject_name(certificate_.get())), dir_.string());
}

std::size_t LocalCa::issued_count() const { return pki::issued_count(dir_); }

std::optional<std::vector<IndexEntry>> LocalCa::issued_index() const { return read_index(dir_); }

std::string verify_chain(const std::string& certificate_pem, const std::string& ca_pem) {
  const X509Ptr cert = certificate_from_pem(certificate_pem);
  const X509Ptr ca = certificate_from_pem(ca_pem, "CA certificate");
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    openssl_fail("cannot set up certificate verification");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return {};
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

}  // namespace espfab::pki
