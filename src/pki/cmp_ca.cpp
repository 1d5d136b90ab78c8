#include "pki/cmp_ca.hpp"

#include <openssl/cmperr.h>
#include <openssl/err.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <tuple>

#include "pki/cmp_transport.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/log.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::pki {

namespace {

using detail::drain_openssl_errors;
using detail::OpenSslErrors;

// A certificate stack owns its certificates: sk_X509_pop_free is a macro, so a function frees both.
void free_x509_stack(STACK_OF(X509) * stack) noexcept { sk_X509_pop_free(stack, X509_free); }

using CmpCtxPtr = OpenSslHandle<OSSL_CMP_CTX, OSSL_CMP_CTX_free>;
using X509StackPtr = OpenSslHandle<STACK_OF(X509), free_x509_stack>;

// OpenSSL's CMP log lines go to the "pki" logger: its errors are repeated in the exception, so
// they are debug lines; warnings ("grantedWithMods", ...) stay warnings.
int forward_cmp_log(const char*, const char*, int, OSSL_CMP_severity level, const char* message) {
  const auto logger = log::get("pki");
  const auto spd_level = level <= OSSL_CMP_LOG_ERR       ? spdlog::level::debug
                         : level == OSSL_CMP_LOG_WARNING ? spdlog::level::warn
                         : level == OSSL_CMP_LOG_DEBUG   ? spdlog::level::trace
                                                         : spdlog::level::debug;
  logger->log(spd_level, "cmp: {}", message);
  return 1;
}

X509Ptr load_certificate(const std::filesystem::path& path, std::string_view key) {
  return certificate_from_pem(read_text_file(path), fmt::format("{} '{}'", key, path.string()));
}

// "/CN=Test CMP Server/O=ACME" (OpenSSL's command-line form; "\/" is a literal slash).
X509NamePtr parse_recipient(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return BadInputError("pki.cmp_config", fmt::format("recipient '{}': {}", text, why),
                         "write the name as /CN=Test CMP Server/O=ACME");
  };
  if (text.empty() || text.front() != '/') throw bad("does not start with '/'");
  X509NamePtr name(X509_NAME_new());
  if (!name) throw CryptoError("pki.cmp_name", "cannot allocate a name: " + crypto::last_openssl_error());
  std::string part;
  const auto add = [&] {
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size())
      throw bad(fmt::format("'{}' is not type=value", part));
    const std::string type = part.substr(0, eq);
    const std::string value = part.substr(eq + 1);
    if (X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()), static_cast<int>(value.size()),
                                   -1, 0) != 1) {
      ERR_clear_error();
      throw bad(fmt::format("unknown attribute type '{}'", type));
    }
    part.clear();
  };
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      part += text[++i];
    } else if (text[i] == '/') {
      add();
    } else {
      part += text[i];
    }
  }
  add();
  return name;
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return fmt::format("{:.1f} s", static_cast<double>(timeout.count()) / 1000.0);
}

[[noreturn]] void throw_error(ErrorKind kind, std::string code, std::string message, std::string hint) {
  switch (kind) {
    case ErrorKind::Timeout: throw TimeoutError(std::move(code), std::move(message), std::move(hint));
    case ErrorKind::Protocol: throw ProtocolError(std::move(code), std::move(message), std::move(hint));
    case ErrorKind::PolicyRefusal: throw PolicyRefusalError(std::move(code), std::move(message), std::move(hint));
    case ErrorKind::Io: throw IoError(std::move(code), std::move(message), std::move(hint));
    case ErrorKind::Crypto: throw CryptoError(std::move(code), std::move(message), std::move(hint));
    default: throw InternalError(std::move(code), std::move(message), std::move(hint));
  }
}

// One enrolment, shared with OpenSSL's callbacks (transfer and certConf), which record why they
// failed so sign() can throw the right kind.
struct Session {
  struct Failure {
    ErrorKind kind;
    std::string code;
    std::string message;
    std::string hint;
  };

  const CmpTransport& transport;
  std::string url;
  std::chrono::milliseconds timeout;
  Deadline deadline;
  X509* ca_certificate;
  std::string ca_certificate_file;
  X509_REQ* csr;
  IssueProfile profile;
  std::string last_request = "P10CR";
  std::optional<Failure> failure{};      // a transfer failed, or the certificate was refused
  std::string refusal_text{};            // the certConf's statusString; must outlive the callback
  std::vector<std::string> chain_pem{};  // set when the certificate is accepted
  bool accepted = false;

  // Checks the new certificate; false (with `failure` set) when it must be refused in the certConf.
  bool accept(OSSL_CMP_CTX* ctx, X509* cert);

  void fail(ErrorKind kind, std::string code, std::string message, std::string hint) {
    failure = Failure{kind, std::move(code), std::move(message), std::move(hint)};
  }
  void refuse(ErrorKind kind, std::string code, std::string message, std::string hint) {
    refusal_text = message;
    fail(kind, std::move(code), std::move(message), std::move(hint));
  }
  [[noreturn]] void rethrow() const { throw_error(failure->kind, failure->code, failure->message, failure->hint); }
};

// OpenSSL callbacks: no exception may cross the C code.
OSSL_CMP_MSG* transfer_callback(OSSL_CMP_CTX* ctx, const OSSL_CMP_MSG* request) {
  auto* session = static_cast<Session*>(OSSL_CMP_CTX_get_transfer_cb_arg(ctx));
  try {
    session->last_request = cmp_body_name(request);
    return session->transport.exchange(request, session->deadline, session->timeout).release();
  } catch (const Error& e) {
    session->fail(e.kind(), e.code(), e.message(), e.hint());
  } catch (const std::exception& e) {
    session->fail(ErrorKind::Internal, "pki.cmp_internal", e.what(), "");
  }
  return nullptr;
}

int certconf_callback(OSSL_CMP_CTX* ctx, X509* cert, int fail_info, const char** text) {
  auto* session = static_cast<Session*>(OSSL_CMP_CTX_get_certConf_cb_arg(ctx));
  try {
    if (session->accept(ctx, cert)) return fail_info;
  } catch (const std::exception& e) {
    session->refuse(ErrorKind::Internal, "pki.cmp_internal", e.what(), "");
  }
  *text = session->refusal_text.c_str();
  return fail_info | (1 << OSSL_CMP_PKIFAILUREINFO_incorrectData);
}

bool Session::accept(OSSL_CMP_CTX* ctx, X509* cert) {
  if (EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(csr)) != 1) {
    ERR_clear_error();
    refuse(ErrorKind::Crypto, "pki.cmp_key_mismatch",
           fmt::format("the CMP server {} returned a certificate ({}) whose public key is not the CSR's", url,
                       name_to_string(X509_get_subject_name(cert))),
           "the certificate was refused in the certConf; the CA answered another request or is misconfigured: "
           "report it to the CA's operator");
    return false;
  }
  // Intermediates from the response (extraCerts, caPubs); the only trust anchor is ca_certificate.
  X509StackPtr untrusted(OSSL_CMP_CTX_get1_extraCertsIn(ctx));
  if (!untrusted) untrusted.reset(sk_X509_new_null());
  const X509StackPtr ca_pubs(OSSL_CMP_CTX_get1_caPubs(ctx));
  for (int i = 0; untrusted && ca_pubs && i < sk_X509_num(ca_pubs.get()); ++i) {
    X509* extra = sk_X509_value(ca_pubs.get(), i);
    if (X509_up_ref(extra) != 1 || sk_X509_push(untrusted.get(), extra) <= 0) {
      throw CryptoError("pki.cmp_internal", "cannot collect the caPubs: " + crypto::last_openssl_error());
    }
  }
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr verify(X509_STORE_CTX_new());
  if (!untrusted || !store || !verify || X509_STORE_add_cert(store.get(), ca_certificate) != 1 ||
      X509_STORE_CTX_init(verify.get(), store.get(), cert, untrusted.get()) != 1) {
    throw CryptoError("pki.cmp_internal", "cannot set up certificate verification: " + crypto::last_openssl_error());
  }
  X509_STORE_CTX_set_flags(verify.get(), X509_V_FLAG_PARTIAL_CHAIN);  // ca_certificate may be an intermediate
  if (X509_verify_cert(verify.get()) != 1) {
    ERR_clear_error();
    refuse(ErrorKind::Crypto, "pki.cmp_untrusted_certificate",
           fmt::format("the certificate from the CMP server {} does not chain to ca_certificate '{}': {}", url,
                       ca_certificate_file, X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.get()))),
           "the certificate was refused in the certConf; check that [ca] ca_certificate is the CA this server "
           "issues from");
    return false;
  }
  for (const auto& [wanted, purpose, what] : {std::tuple{profile.client_auth, X509_PURPOSE_SSL_CLIENT, "client"},
                                              std::tuple{profile.server_auth, X509_PURPOSE_SSL_SERVER, "server"}}) {
    if (!wanted || X509_check_purpose(cert, purpose, 0) == 1) continue;
    ERR_clear_error();
    refuse(ErrorKind::PolicyRefusal, "pki.cmp_profile_mismatch",
           fmt::format("the certificate from the CMP server {} is not usable for TLS {} authentication (its key "
                       "usage or extended key usage forbids it), which the profile asks for",
                       url, what),
           "the certificate was refused in the certConf; align the CA's certificate profile with the station's");
    return false;
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(verify.get());
  chain_pem.clear();
  for (int i = 1; i < sk_X509_num(chain); ++i) chain_pem.push_back(certificate_to_pem(sk_X509_value(chain, i)));
  accepted = true;
  return true;
}

}  // namespace

CmpCa::CmpCa(CmpCaConfig config) : config_(std::move(config)), transport_(config_.server, config_.tls_trust) {
  const auto bad = [](const std::string& message, const std::string& hint) {
    return BadInputError("pki.cmp_config", message, hint);
  };
  if (config_.timeout <= std::chrono::milliseconds::zero()) {
    throw bad("[ca] timeout must be positive", "the default is 10 s");
  }

  const bool pbm = !config_.secret_env.empty() || !config_.secret_file.empty();
  const bool signature = !config_.client_cert.empty() || !config_.client_key.empty();
  if (pbm == signature) {
    throw bad(pbm ? "[ca] sets both a shared secret and a client certificate"
                  : "[ca] sets neither a shared secret nor a client certificate",
              "protect CMP messages with either secret_env/secret_file + reference or client_cert + client_key");
  }
  if (pbm) {
    if (!config_.secret_env.empty() && !config_.secret_file.empty()) {
      throw bad("[ca] sets both secret_env and secret_file", "keep one of them");
    }
    if (config_.reference.empty()) {
      throw bad("[ca] reference is missing", "the shared secret needs the reference (sender KID) the CA knows it by");
    }
    load_secret();  // checks it is there; wiped at once
  } else {
    if (config_.client_cert.empty() || config_.client_key.empty()) {
      throw bad("[ca] client_cert and client_key go together", "set both, or use a shared secret instead");
    }
    if (config_.server_trust.empty()) {
      throw bad("[ca] server_trust is missing",
                "signature-protected answers are verified against it; give the "
                "CA file that issued the CMP server's certificate");
    }
    client_cert_ = load_certificate(config_.client_cert, "[ca] client_cert");
    client_key_ = crypto::load_private_key_pem(SecretBytes(read_file(config_.client_key)));
    if (X509_check_private_key(client_cert_.get(), client_key_.get()) != 1) {
      ERR_clear_error();
      throw bad(fmt::format("[ca] client_key '{}' does not belong to client_cert '{}'", config_.client_key.string(),
                            config_.client_cert.string()),
                "give the key the station's CMP certificate was issued for");
    }
  }
  if (!config_.server_trust.empty())
    server_trust_ = detail::load_certificates(config_.server_trust, "[ca] server_trust");
  if (config_.ca_certificate.empty()) {
    throw bad("[ca] ca_certificate is missing", "give the CA certificate (PEM) devices chain to");
  }
  ca_certificate_ = load_certificate(config_.ca_certificate, "[ca] ca_certificate");
  ca_certificate_pem_ = certificate_to_pem(ca_certificate_.get());
  if (!config_.recipient.empty()) recipient_ = parse_recipient(config_.recipient);
}

SecretBytes CmpCa::load_secret() const {
  if (!config_.secret_env.empty()) {
    const char* value = std::getenv(config_.secret_env.c_str());
    if (value == nullptr || *value == '\0') {
      throw BadInputError(
          "pki.cmp_secret_missing",
          fmt::format("the environment variable {} (the CMP shared secret) is not set", config_.secret_env),
          "export it in the station's environment, or use [ca] secret_file");
    }
    return SecretBytes(std::span(reinterpret_cast<const std::uint8_t*>(value), std::strlen(value)));
  }
  std::error_code ec;
  const auto status = std::filesystem::status(config_.secret_file, ec);
  if (!std::filesystem::is_regular_file(status)) {
    throw BadInputError("pki.cmp_secret_missing",
                        fmt::format("the CMP secret file '{}' does not exist", config_.secret_file.string()),
                        "write the shared secret the CA gave for this station into it (mode 0600)");
  }
  const auto perms = status.permissions();
  if ((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
      std::filesystem::perms::none) {
    throw BadInputError("pki.cmp_secret_mode",
                        fmt::format("the CMP secret file '{}' is readable by others", config_.secret_file.string()),
                        fmt::format("chmod 600 '{}'", config_.secret_file.string()));
  }
  SecretBytes secret(read_file(config_.secret_file));
  std::size_t size = secret.size();
  if (size > 0 && secret.data()[size - 1] == '\n') --size;
  if (size > 0 && secret.data()[size - 1] == '\r') --size;
  if (size == 0) {
    throw BadInputError("pki.cmp_secret_missing",
                        fmt::format("the CMP secret file '{}' is empty", config_.secret_file.string()),
                        "write the shared secret the CA gave for this station into it");
  }
  return size == secret.size() ? std::move(secret) : SecretBytes(secret.view().first(size));
}

std::string CmpCa::url() const { return transport_.url(); }

std::string CmpCa::describe() const {
  const std::string protection =
      client_cert_ ? fmt::format("client certificate {}", name_to_string(X509_get_subject_name(client_cert_.get())))
                   : fmt::format("shared secret of '{}'", config_.reference);
  return fmt::format("CMP CA {} at {} ({})", name_to_string(X509_get_subject_name(ca_certificate_.get())), url(),
                     protection);
}

void CmpCa::configure_context(OSSL_CMP_CTX* ctx, const SecretBytes& secret) const {
  const auto seconds = static_cast<int>((config_.timeout.count() + 999) / 1000);
  const auto logger = log::get("pki");
  bool ok = OSSL_CMP_CTX_set_log_cb(ctx, forward_cmp_log) == 1 &&
            OSSL_CMP_CTX_set_log_verbosity(
                ctx, logger->should_log(spdlog::level::trace) ? OSSL_CMP_LOG_DEBUG : OSSL_CMP_LOG_INFO) == 1 &&
            OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, seconds) == 1 &&
            OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, seconds) == 1;
  if (ok && client_cert_) {
    ok = OSSL_CMP_CTX_set1_cert(ctx, client_cert_.get()) == 1 && OSSL_CMP_CTX_set1_pkey(ctx, client_key_.get()) == 1;
  } else if (ok) {
    ok = OSSL_CMP_CTX_set1_referenceValue(ctx, reinterpret_cast<const unsigned char*>(config_.reference.data()),
                                          static_cast<int>(config_.reference.size())) == 1 &&
         OSSL_CMP_CTX_set1_secretValue(ctx, secret.data(), static_cast<int>(secret.size())) == 1;
  }
  if (ok && !server_trust_.empty()) {
    X509StorePtr store(X509_STORE_new());
    for (const auto& cert : server_trust_) ok = ok && store && X509_STORE_add_cert(store.get(), cert.get()) == 1;
    ok = ok && OSSL_CMP_CTX_set0_trustedStore(ctx, store.get()) == 1;
    if (ok) (void)store.release();  // the context owns it now
  }
  if (ok && recipient_) ok = OSSL_CMP_CTX_set1_recipient(ctx, recipient_.get()) == 1;
  if (!ok) {
    throw CryptoError("pki.cmp_internal", "cannot set up the CMP client: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
}

IssuedCertificate CmpCa::sign(X509_REQ* csr, const IssueProfile& profile) {
  auto delay = config_.retry_backoff;
  const unsigned attempts = std::max(1u, config_.attempts);
  for (unsigned attempt = 1;; ++attempt) {
    try {
      return sign_once(csr, profile);
    } catch (IoError& error) {
      if (attempt == attempts) {
        if (attempts > 1) error.with_context(fmt::format("after {} attempts", attempts));
        throw;
      }
      log::get("pki")->warn("CMP server {} not reachable (attempt {} of {}): {}", url(), attempt, attempts,
                            error.message());
    }
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

IssuedCertificate CmpCa::sign_once(X509_REQ* csr, const IssueProfile& profile) {
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(csr);
  if (public_key == nullptr || X509_REQ_verify(csr, public_key) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("pki.csr_signature", "the CSR's signature does not verify with its own key",
                        "the request is damaged or was not signed by the device key");
  }
  const std::string subject = name_to_string(X509_REQ_get_subject_name(csr));
  Session session{transport_,
                  url(),
                  config_.timeout,
                  Deadline(config_.timeout),
                  ca_certificate_.get(),
                  config_.ca_certificate.string(),
                  csr,
                  profile};
  const SecretBytes secret = client_cert_ ? SecretBytes{} : load_secret();
  const CmpCtxPtr ctx(OSSL_CMP_CTX_new(nullptr, nullptr));
  if (!ctx) throw CryptoError("pki.cmp_internal", "cannot create a CMP context: " + crypto::last_openssl_error());
  configure_context(ctx.get(), secret);
  if (OSSL_CMP_CTX_set1_p10CSR(ctx.get(), csr) != 1 ||
      OSSL_CMP_CTX_set_transfer_cb(ctx.get(), transfer_callback) != 1 ||
      OSSL_CMP_CTX_set_transfer_cb_arg(ctx.get(), &session) != 1 ||
      OSSL_CMP_CTX_set_certConf_cb(ctx.get(), certconf_callback) != 1 ||
      OSSL_CMP_CTX_set_certConf_cb_arg(ctx.get(), &session) != 1) {
    throw CryptoError("pki.cmp_internal", "cannot set up the CMP client: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  const auto logger = log::get("pki");
  logger->debug("CMP P10CR for {} to {}", subject, session.url);

  ERR_clear_error();
  X509* cert = OSSL_CMP_exec_P10CR_ses(ctx.get());
  if (cert == nullptr) {
    const OpenSslErrors errors = drain_openssl_errors();
    if (session.failure) session.rethrow();
    if (errors.has(ERR_LIB_CMP, CMP_R_TOTAL_TIMEOUT)) {  // polling: the CA kept asking to wait
      throw TimeoutError("pki.cmp_timeout",
                         fmt::format("the CMP server {} did not deliver the certificate within the enrolment timeout "
                                     "of {} (last request: {}; {})",
                                     session.url, seconds_text(config_.timeout), session.last_request, errors.text),
                         "the CA holds the request for approval; approve it there and retry, or raise [ca] timeout");
    }
    if (errors.has(ERR_LIB_CMP, CMP_R_CERTIFICATE_NOT_ACCEPTED)) {  // refused by OpenSSL's own checks
      throw CryptoError("pki.cmp_certificate_refused",
                        fmt::format("the certificate from the CMP server {} was refused: {}", session.url, errors.text),
                        "the refusal was sent in the certConf; report it to the CA's operator");
    }
    if (OSSL_CMP_CTX_get_status(ctx.get()) == OSSL_CMP_PKISTATUS_rejection) {
      char status[OSSL_CMP_PKISI_BUFLEN] = {};
      OSSL_CMP_CTX_snprint_PKIStatus(ctx.get(), status, sizeof status);
      throw PolicyRefusalError(
          "pki.cmp_rejected",
          fmt::format("the CMP server {} rejected the request for {}: {}", session.url, subject, status),
          "the CA's policy refused this CSR; its failInfo and statusString say why");
    }
    for (const int reason : {CMP_R_ERROR_VALIDATING_PROTECTION, CMP_R_WRONG_PBM_VALUE, CMP_R_MISSING_PROTECTION,
                             CMP_R_NO_SUITABLE_SENDER_CERT}) {
      if (!errors.has(ERR_LIB_CMP, reason)) continue;
      throw CryptoError(
          "pki.cmp_protection",
          fmt::format("the CMP exchange with {} failed its protection check: {}", session.url, errors.text),
          client_cert_ ? "check that [ca] server_trust holds the CA of the CMP server's certificate and that the "
                         "server trusts the station's client_cert"
                       : "check that the shared secret and [ca] reference are the ones the CA has for this station");
    }
    throw ProtocolError("pki.cmp_failed", fmt::format("the CMP enrolment at {} failed: {}", session.url, errors.text),
                        "see the CA's log for this transaction");
  }
  ERR_clear_error();  // retried connection attempts may leave entries behind
  if (!session.accepted) {
    throw InternalError("pki.cmp_internal",
                        fmt::format("the CMP client took a certificate from {} without checking it", session.url));
  }
  IssuedCertificate issued;
  issued.certificate_pem = certificate_to_pem(cert);
  issued.chain_pem = std::move(session.chain_pem);
  issued.serial_hex = serial_hex(cert);
  issued.subject = name_to_string(X509_get_subject_name(cert));
  logger->debug("CMP CA {} issued serial {} for {}", session.url, issued.serial_hex, issued.subject);
  return issued;
}

}  // namespace espfab::pki
