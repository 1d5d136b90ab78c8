// The HTTP transport of CMP (RFC 6712) for CmpCa: one POST of one DER message per connection,
// over plain TCP (http://) or TLS (https://). The connection is espfab's own, not OpenSSL's: OpenSSL
// 3.0 retries a refused connection until its timeout, and a CA that is down must fail at once.
//
// TLS: version 1.2 or newer; the server's certificate must chain to a certificate in the trust file
// (any certificate there is an anchor: a root, an intermediate or the server's own) and be issued
// for the URL's host (its DNS name, or its IP address for an IP literal; SNI carries the name).
// There is no fallback to the system's CA store: an https:// URL needs a trust file.
#pragma once

#include <openssl/cmp.h>
#include <openssl/ssl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pki/openssl_types.hpp"
#include "util/deadline.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::pki {

using CmpMsgPtr = OpenSslHandle<OSSL_CMP_MSG, OSSL_CMP_MSG_free>;

// "P10CR", "certConf", "pollReq", ...: for messages.
std::string cmp_body_name(const OSSL_CMP_MSG* message);

class CmpTransport {
 public:
  // `server` is "http://host[:port]/path" or "https://host[:port]/path" (ports 80 and 443 when
  // left out). `tls_trust` (PEM, one or more certificates) is required with https:// and refused
  // with http://. Throws BadInputError (pki.cmp_config) naming the key at fault, IoError when the
  // trust file cannot be read.
  CmpTransport(const std::string& server, const std::filesystem::path& tls_trust);

  // "https://host:port/path", with the port always written.
  std::string url() const;
  bool uses_tls() const noexcept { return tls_ != nullptr; }

  // Sends `request` and returns the answer; connect, TLS handshake and HTTP exchange all within
  // `deadline` (`budget`, the whole enrolment's time, only for messages). Safe to call from
  // several threads. Throws:
  // - IoError pki.cmp_unreachable (connection refused, no route) or pki.cmp_http (the exchange
  //   broke, an HTTP error status): transient;
  // - TimeoutError pki.cmp_timeout;
  // - CryptoError pki.cmp_tls_verify: the server's TLS certificate does not verify (untrusted, or
  //   not for this host name or address);
  // - ProtocolError pki.cmp_tls_handshake (not a TLS server, no common version or cipher) or
  //   pki.cmp_bad_response (the answer is not a CMP message).
  CmpMsgPtr exchange(const OSSL_CMP_MSG* request, const Deadline& deadline, std::chrono::milliseconds budget) const;

 private:
  using BioChainPtr = OpenSslHandle<BIO, BIO_free_all>;

  BioChainPtr connect(const Deadline& deadline, const std::string& request, std::chrono::milliseconds budget) const;
  // Puts TLS over the connected `tcp` (taking it) and completes the handshake.
  BioChainPtr start_tls(BioChainPtr tcp, const Deadline& deadline, const std::string& request,
                        std::chrono::milliseconds budget) const;
  [[noreturn]] void throw_timeout(const std::string& request, std::chrono::milliseconds budget,
                                  const std::string& detail) const;

  std::string host_;
  std::string port_;
  std::string path_;
  std::filesystem::path tls_trust_;
  OpenSslHandle<SSL_CTX, SSL_CTX_free> tls_;
};

namespace detail {

// The OpenSSL error queue as one line ("connect timeout; total timeout (request sent: P10CR)"),
// emptied, plus the reasons seen so a failure can be classified.
struct OpenSslErrors {
  std::string text;
  std::vector<unsigned long> codes;

  bool has(int lib, int reason) const;
};
OpenSslErrors drain_openssl_errors();

// Every certificate in a PEM file; BadInputError pki.cmp_config naming `key` when there is none.
std::vector<X509Ptr> load_certificates(const std::filesystem::path& path, std::string_view key);

}  // namespace detail

}  // namespace espfab::pki
