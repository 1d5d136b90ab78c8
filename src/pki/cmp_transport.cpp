#include "pki/cmp_transport.hpp"

#include <openssl/cmperr.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::pki {

namespace {

constexpr const char* kContentType = "application/pkixcmp";
constexpr long kMaxResponseBytes = 1024 * 1024;
// PKIBody choices of RFC 4210 section 5.1.2 that OpenSSL's public header does not name.
constexpr int kBodyError = 23;
constexpr int kBodyCertConf = 24;
constexpr int kBodyPollReq = 25;

bool is_timeout(const detail::OpenSslErrors& errors) {
  return errors.has(ERR_LIB_CMP, CMP_R_TOTAL_TIMEOUT) || errors.has(ERR_LIB_HTTP, HTTP_R_RETRY_TIMEOUT) ||
         errors.has(ERR_LIB_BIO, BIO_R_CONNECT_TIMEOUT) || errors.has(ERR_LIB_BIO, BIO_R_TRANSFER_TIMEOUT);
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return fmt::format("{:.1f} s", static_cast<double>(timeout.count()) / 1000.0);
}

BadInputError bad_config(const std::string& message, const std::string& hint) {
  return BadInputError("pki.cmp_config", message, hint);
}

// Remembers the subject of the server's certificate (the chain's first) for messages: when the
// verification fails, OpenSSL keeps no peer certificate. The SSL's app data is the string.
int remember_peer(int ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* subject = ssl != nullptr ? static_cast<std::string*>(SSL_get_app_data(ssl)) : nullptr;
  const X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (subject != nullptr && subject->empty() && leaf != nullptr) *subject = name_to_string(X509_get_subject_name(leaf));
  return ok;
}

// Waits until `fd` is ready for `events`: 1 ready, 0 time is up, -1 (errno) poll failed.
int wait_ready(int fd, short events, const Deadline& deadline) {
  pollfd wait{fd, events, 0};
  int ready = -1;
  do {
    const auto left = deadline.remaining_ms();
    ready = left.count() > 0 ? ::poll(&wait, 1, static_cast<int>(std::min<long long>(left.count(), 60000))) : 0;
  } while ((ready < 0 && errno == EINTR) || (ready == 0 && !deadline.expired()));
  return ready;
}

}  // namespace

namespace detail {

bool OpenSslErrors::has(int lib, int reason) const {
  return std::any_of(codes.begin(), codes.end(),
                     [&](unsigned long code) { return ERR_GET_LIB(code) == lib && ERR_GET_REASON(code) == reason; });
}

OpenSslErrors drain_openssl_errors() {
  OpenSslErrors errors;
  const char* data = nullptr;
  int flags = 0;
  for (unsigned long code = 0; (code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0;) {
    errors.codes.push_back(code);
    const char* reason = ERR_reason_error_string(code);
    std::string entry = reason != nullptr ? reason : fmt::format("error {:08x}", code);
    if (ERR_GET_LIB(code) == ERR_LIB_SYS) entry = std::strerror(ERR_GET_REASON(code));
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') entry += fmt::format(" ({})", data);
    if (!errors.text.empty()) errors.text += "; ";
    errors.text += entry;
  }
  if (errors.text.empty()) errors.text = "no detail from OpenSSL";
  return errors;
}

std::vector<X509Ptr> load_certificates(const std::filesystem::path& path, std::string_view key) {
  const std::string text = read_text_file(path);
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  std::vector<X509Ptr> certs;
  while (bio) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    certs.push_back(std::move(cert));
  }
  ERR_clear_error();  // the end of the file reads as "no start line"
  if (certs.empty()) {
    throw BadInputError("pki.cmp_config", fmt::format("{} '{}' holds no PEM certificate", key, path.string()),
                        "give a file with one or more -----BEGIN CERTIFICATE----- blocks");
  }
  return certs;
}

}  // namespace detail

std::string cmp_body_name(const OSSL_CMP_MSG* message) {
  switch (OSSL_CMP_MSG_get_bodytype(message)) {
    case OSSL_CMP_P10CR: return "P10CR";
    case kBodyError: return "error";
    case kBodyCertConf: return "certConf";
    case kBodyPollReq: return "pollReq";
    default: return fmt::format("body type {}", OSSL_CMP_MSG_get_bodytype(message));
  }
}

CmpTransport::CmpTransport(const std::string& server, const std::filesystem::path& tls_trust) : tls_trust_(tls_trust) {
  char* host = nullptr;
  char* port = nullptr;
  char* path = nullptr;
  char* user = nullptr;
  char* query = nullptr;
  char* fragment = nullptr;
  int ssl = 0;
  int port_number = 0;
  const bool parsed =
      OSSL_HTTP_parse_url(server.c_str(), &ssl, &user, &host, &port, &port_number, &path, &query, &fragment) == 1;
  if (parsed) {
    host_ = host;
    port_ = port;
    path_ = path;
  }
  const auto set = [](const char* part) { return part != nullptr && *part != '\0'; };
  const bool extra = parsed && (set(user) || set(query) || set(fragment));
  for (char* part : {host, port, path, user, query, fragment}) OPENSSL_free(part);
  if (!parsed || (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0)) {
    ERR_clear_error();
    throw bad_config(fmt::format("[ca] server '{}' is not an http:// or https:// URL", server),
                     "write it as https://host:port/path (or http://), e.g. https://ca.example:8443/pkix/");
  }
  if (extra) {
    throw bad_config(fmt::format("[ca] server '{}' has a user, query or fragment", server),
                     "write it as https://host:port/path (or http://)");
  }
  if (ssl == 0) {
    if (!tls_trust_.empty()) {
      throw bad_config(fmt::format("[ca] tls_trust is set but server '{}' is plain http://", server),
                       "write the server as https://... to use TLS, or remove tls_trust");
    }
    return;
  }
  if (tls_trust_.empty()) {
    throw bad_config(fmt::format("[ca] server '{}' is https:// but tls_trust is missing", server),
                     "set tls_trust to the CA file (PEM) that issued the CMP server's TLS certificate; the "
                     "system's CA store is not used");
  }
  const auto anchors = detail::load_certificates(tls_trust_, "[ca] tls_trust");
  tls_.reset(SSL_CTX_new(TLS_client_method()));
  bool ok = tls_ && SSL_CTX_set_min_proto_version(tls_.get(), TLS1_2_VERSION) == 1;
  X509_STORE* store = ok ? SSL_CTX_get_cert_store(tls_.get()) : nullptr;
  for (const auto& cert : anchors) ok = ok && X509_STORE_add_cert(store, cert.get()) == 1;
  // Any certificate of the file is an anchor: a private root, an intermediate, the server's own.
  ok = ok && X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN) == 1;
  if (!ok) {
    throw CryptoError("pki.cmp_internal", "cannot set up TLS: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  SSL_CTX_set_verify(tls_.get(), SSL_VERIFY_PEER, remember_peer);
  SSL_CTX_set_options(tls_.get(), SSL_OP_NO_RENEGOTIATION);
}

std::string CmpTransport::url() const {
  const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  return fmt::format("{}://{}:{}{}", tls_ ? "https" : "http", host, port_, path_);
}

void CmpTransport::throw_timeout(const std::string& request, std::chrono::milliseconds budget,
                                 const std::string& detail) const {
  throw TimeoutError("pki.cmp_timeout",
                     fmt::format("the CMP server {} did not answer the {} within the enrolment timeout of {} ({})",
                                 url(), request, seconds_text(budget), detail),
                     "check that the CA is up and not overloaded, or raise [ca] timeout");
}

CmpTransport::BioChainPtr CmpTransport::connect(const Deadline& deadline, const std::string& request,
                                                std::chrono::milliseconds budget) const {
  BioChainPtr bio(BIO_new(BIO_s_connect()));
  const std::string bracketed = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  if (!bio || BIO_set_conn_hostname(bio.get(), bracketed.c_str()) != 1 ||
      BIO_set_conn_port(bio.get(), port_.c_str()) != 1 || BIO_set_nbio(bio.get(), 1) != 1) {
    throw CryptoError("pki.cmp_internal", "cannot set up a connection: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  for (;;) {
    if (BIO_do_connect(bio.get()) > 0) return bio;
    if (!BIO_should_retry(bio.get())) {
      throw IoError("pki.cmp_unreachable",
                    fmt::format("cannot connect to the CMP server {}: {}", url(), detail::drain_openssl_errors().text),
                    "check that the CA is up and that [ca] server names the right host and port");
    }
    int fd = -1;
    BIO_get_fd(bio.get(), &fd);
    const int ready = wait_ready(fd, POLLOUT, deadline);  // until the connection is made or refused
    if (ready == 0) throw_timeout(request, budget, "no TCP connection");
    if (ready < 0) {
      const int poll_error = errno;
      throw IoError("pki.cmp_unreachable",
                    fmt::format("cannot connect to the CMP server {}: {}", url(), std::strerror(poll_error)),
                    "check the station's network");
    }
  }
}

CmpTransport::BioChainPtr CmpTransport::start_tls(BioChainPtr tcp, const Deadline& deadline, const std::string& request,
                                                  std::chrono::milliseconds budget) const {
  int fd = -1;
  BIO_get_fd(tcp.get(), &fd);
  BioChainPtr chain(BIO_new(BIO_f_ssl()));
  SSL* ssl = SSL_new(tls_.get());
  bool ok = chain && ssl != nullptr && BIO_set_ssl(chain.get(), ssl, BIO_CLOSE) == 1;
  if (!ok) SSL_free(ssl);
  ok = ok && BIO_push(chain.get(), tcp.get()) != nullptr;  // the SSL object reads and writes `tcp`
  if (ok) (void)tcp.release();                             // freed with the chain
  // The name checked against the certificate's subjectAltName: an IP literal as an address, a
  // host name as a DNS name (also sent as SNI).
  if (ok && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str()) != 1) {
    ERR_clear_error();
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = SSL_set1_host(ssl, host_.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, host_.c_str()) == 1;
  }
  if (!ok) {
    throw CryptoError("pki.cmp_internal", "cannot set up TLS: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  std::string peer_subject;
  SSL_set_app_data(ssl, &peer_subject);
  SSL_set_connect_state(ssl);
  int error = SSL_ERROR_NONE;
  for (;;) {
    ERR_clear_error();
    errno = 0;  // a stale EAGAIN must not explain an end of file
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
      SSL_set_app_data(ssl, nullptr);  // peer_subject goes out of scope
      return chain;
    }
    error = SSL_get_error(ssl, rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) break;
    const int ready = wait_ready(fd, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
    if (ready == 0) throw_timeout(request, budget, "no TLS handshake");
    if (ready < 0) {
      const int poll_error = errno;
      throw IoError("pki.cmp_unreachable",
                    fmt::format("the connection to the CMP server {} broke: {}", url(), std::strerror(poll_error)),
                    "check the station's network");
    }
  }
  const int system_error = errno;
  const long verify = SSL_get_verify_result(ssl);
  const detail::OpenSslErrors errors = detail::drain_openssl_errors();
  if (verify != X509_V_OK) {
    const std::string subject = peer_subject.empty() ? "no certificate" : peer_subject;
    const bool name_mismatch = verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH;
    throw CryptoError(
        "pki.cmp_tls_verify",
        fmt::format("the TLS certificate of the CMP server {} ({}) failed verification: {}", url(), subject,
                    X509_verify_cert_error_string(verify)),
        name_mismatch ? fmt::format("the certificate is not issued for '{}': write [ca] server with a name or address "
                                    "of its subjectAltName, or have the server's TLS certificate reissued",
                                    host_)
                      : fmt::format("check that [ca] tls_trust '{}' holds the CA that issued the CMP server's TLS "
                                    "certificate (and that the certificate is valid today)",
                                    tls_trust_.string()));
  }
  std::string detail = errors.text;
  if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errors.codes.empty())) {
    detail = system_error != 0 && error == SSL_ERROR_SYSCALL ? std::strerror(system_error)
                                                             : "the server closed the connection";
  }
  throw ProtocolError("pki.cmp_tls_handshake",
                      fmt::format("the TLS handshake with the CMP server {} failed: {}", url(), detail),
                      "check that the server speaks TLS 1.2 or newer on this port, or use http:// if it does not "
                      "use TLS");
}

CmpMsgPtr CmpTransport::exchange(const OSSL_CMP_MSG* request, const Deadline& deadline,
                                 std::chrono::milliseconds budget) const {
  const std::string name = cmp_body_name(request);
  if (deadline.expired()) throw_timeout(name, budget, "time was up before the request was sent");
  BioChainPtr connection = connect(deadline, name, budget);
  if (tls_) connection = start_tls(std::move(connection), deadline, name, budget);
  BioPtr body(BIO_new(BIO_s_mem()));
  if (!body || i2d_OSSL_CMP_MSG_bio(body.get(), request) <= 0) {
    throw CryptoError("pki.cmp_internal", "cannot encode the CMP request: " + crypto::last_openssl_error(),
                      "the OpenSSL installation may be broken");
  }
  // OpenSSL's HTTP client counts whole seconds.
  const auto seconds = std::max<long long>(1, (deadline.remaining_ms().count() + 999) / 1000);
  const BioPtr response(OSSL_HTTP_transfer(
      nullptr, host_.c_str(), port_.c_str(), path_.c_str(), 0, nullptr, nullptr, connection.get(), nullptr, nullptr,
      nullptr, 0, nullptr, kContentType, body.get(), kContentType, 1, kMaxResponseBytes, static_cast<int>(seconds), 0));
  if (!response) {
    const detail::OpenSslErrors errors = detail::drain_openssl_errors();
    if (is_timeout(errors) || deadline.expired()) throw_timeout(name, budget, errors.text);
    // A TLS server closes the connection on a plain HTTP request without a word.
    const bool closed = !tls_ && errors.has(ERR_LIB_HTTP, HTTP_R_FAILED_READING_DATA);
    throw IoError(
        "pki.cmp_http",
        fmt::format("the HTTP exchange with the CMP server {} failed after the {}: {}", url(), name, errors.text),
        closed ? "the server closed the connection without an answer: if it expects TLS, write [ca] server "
                 "as https://; otherwise check that the CA is healthy"
               : "check that [ca] server is the CA's CMP URL (scheme, host, port and path) and that the CA "
                 "is healthy");
  }
  CmpMsgPtr answer(d2i_OSSL_CMP_MSG_bio(response.get(), nullptr));
  if (!answer) {
    throw ProtocolError("pki.cmp_bad_response",
                        fmt::format("the CMP server {} answered the {} with something that is not a CMP message: {}",
                                    url(), name, detail::drain_openssl_errors().text),
                        "check that [ca] server is the CA's CMP URL");
  }
  return answer;
}

}  // namespace espfab::pki
