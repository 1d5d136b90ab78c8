#include "pki/certificate_builder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/unique_fd.hpp"

namespace espfab::pki {

namespace {

constexpr const char* kSerialFile = "serial";
constexpr const char* kIndexFile = "index.txt";
constexpr const char* kLockFile = "lock";

[[noreturn]] void openssl_fail(const std::string& what) {
  throw CryptoError("pki.ca", what + ": " + crypto::last_openssl_error(), "the OpenSSL installation may be broken");
}

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& path) {
  const int err = errno;
  throw IoError("pki.ca_io", fmt::format("{} '{}': {}", what, path.string(), std::strerror(err)),
                "check the CA directory's permissions and free space");
}

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_.get() < 0) io_fail("cannot open the CA lock", path);
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        fd_.reset();
        io_fail("cannot lock", path);
      }
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  UniqueFd fd_;  // closing it releases the lock
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) openssl_fail(fmt::format("cannot add extension {}", value));
}

void set_validity(X509* cert, std::chrono::days validity) {
  if (X509_gmtime_adj(X509_getm_notBefore(cert), 0) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), static_cast<int>(validity.count()), 0, nullptr) == nullptr) {
    openssl_fail("cannot set the validity");
  }
}

void set_serial(X509* cert, std::uint64_t serial) {
  ASN1_INTEGER* value = X509_get_serialNumber(cert);
  if (ASN1_INTEGER_set_uint64(value, serial) != 1) openssl_fail("cannot set the serial number");
}

std::uint64_t read_serial(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  std::uint64_t value = 0;
  std::size_t used = 0;
  try {
    value = std::stoull(text, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || value == 0) {
    throw BadInputError("pki.ca_bad_serial", fmt::format("the CA serial file '{}' is damaged", path.string()),
                        "restore it from a backup; it must be above every serial in index.txt");
  }
  return value;
}

void append_line(const std::filesystem::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) io_fail("cannot open", path);
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      io_fail("cannot write", path);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    io_fail("cannot flush", path);
  }
  ::close(fd);
}

std::string fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &size) != 1) openssl_fail("cannot hash the certificate");
  return to_hex(ByteView(digest, size));
}

std::string asn1_time_text(const ASN1_TIME* time) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

X509Ptr build_ca_certificate(EVP_PKEY* key, const CaCertificateSpec& spec) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) openssl_fail("cannot create the CA certificate");
  // A random 64-bit serial for the CA certificate itself.
  const SecretBytes random = crypto::random_secret(8);
  std::uint64_t serial = 0;
  for (const auto byte : random.view()) serial = serial << 8 | byte;
  set_serial(cert.get(), (serial >> 1) | 1);
  X509NamePtr name(X509_NAME_new());
  if (!name) openssl_fail("cannot allocate a name");
  auto add_name = [&](const char* field, const std::string& value) {
    if (!value.empty() && X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                                     reinterpret_cast<const unsigned char*>(value.data()),
                                                     static_cast<int>(value.size()), -1, 0) != 1) {
      openssl_fail("cannot build the CA name");
    }
  };
  add_name("O", spec.organization);
  add_name("CN", spec.common_name);
  if (X509_set_subject_name(cert.get(), name.get()) != 1 || X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    openssl_fail("cannot fill the CA certificate");
  }
  set_validity(cert.get(), spec.validity);
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) openssl_fail("cannot sign the CA certificate");
  return cert;
}

void verify_csr_signature(X509_REQ* csr) {
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(csr);
  if (public_key == nullptr || X509_REQ_verify(csr, public_key) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("pki.csr_signature", "the CSR's signature does not verify with its own key",
                        "the request is damaged or was not signed by the device key");
  }
}

X509Ptr build_device_certificate(X509_REQ* csr, X509* issuer, const IssueProfile& profile) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) openssl_fail("cannot create a certificate");
  if (X509_set_subject_name(cert.get(), X509_REQ_get_subject_name(csr)) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_set_pubkey(cert.get(), X509_REQ_get0_pubkey(csr)) != 1) {
    openssl_fail("cannot fill the certificate");
  }
  set_validity(cert.get(), profile.validity);
  add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
  const std::string eku = std::string(profile.client_auth ? "clientAuth" : "") +
                          (profile.client_auth && profile.server_auth ? "," : "") +
                          (profile.server_auth ? "serverAuth" : "");
  if (!eku.empty()) add_extension(cert.get(), issuer, NID_ext_key_usage, eku.c_str());
  add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  if (profile.copy_sans) {
    STACK_OF(X509_EXTENSION)* requested = X509_REQ_get_extensions(csr);
    for (int i = 0; requested != nullptr && i < sk_X509_EXTENSION_num(requested); ++i) {
      X509_EXTENSION* ext = sk_X509_EXTENSION_value(requested, i);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name &&
          X509_add_ext(cert.get(), ext, -1) != 1) {
        sk_X509_EXTENSION_pop_free(requested, X509_EXTENSION_free);
        openssl_fail("cannot copy the subjectAltName");
      }
    }
    sk_X509_EXTENSION_pop_free(requested, X509_EXTENSION_free);
  }
  return cert;
}

void init_issuance_state(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw IoError("pki.ca_io", fmt::format("cannot create the CA state directory '{}': {}", dir.string(), ec.message()),
                  "check the path and permissions");
  }
  write_text_file_atomic(dir / kSerialFile, "1\n");
  write_text_file_atomic(dir / kIndexFile, "");
}

bool has_issuance_state(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / kSerialFile, ec);
}

IssuedCertificate issue_certificate(X509_REQ* csr, const IssueProfile& profile, const CaSigner& signer,
                                    const std::filesystem::path& state_dir) {
  verify_csr_signature(csr);
  X509Ptr cert = build_device_certificate(csr, signer.certificate, profile);

  // Reserve the serial number durably before signing: a crash may skip one, never reuse one.
  const FileLock lock(state_dir / kLockFile);
  const std::uint64_t serial = read_serial(state_dir / kSerialFile);
  write_text_file_atomic(state_dir / kSerialFile, fmt::format("{:x}\n", serial + 1));
  set_serial(cert.get(), serial);
  if (X509_sign(cert.get(), signer.key, EVP_sha256()) <= 0) openssl_fail("cannot sign the certificate");

  IssuedCertificate issued;
  issued.certificate_pem = certificate_to_pem(cert.get());
  issued.chain_pem = {std::string(signer.certificate_pem)};
  issued.serial_hex = serial_hex(cert.get());
  issued.subject = name_to_string(X509_get_subject_name(cert.get()));
  append_line(state_dir / kIndexFile,
              fmt::format("{}\t{}\t{}\t{}\n", issued.serial_hex, asn1_time_text(X509_get0_notAfter(cert.get())),
                          issued.subject, fingerprint(cert.get())));
  return issued;
}

bool issued_to(const IndexEntry& entry, std::string_view common_name) {
  const std::string cn = "CN=" + std::string(common_name);
  const std::string_view subject = entry.subject;
  std::size_t at = 0;
  while ((at = subject.find(cn, at)) != std::string_view::npos) {
    const bool starts = at == 0 || subject[at - 1] == ',';
    const bool ends = at + cn.size() == subject.size() || subject[at + cn.size()] == ',';
    if (starts && ends) return true;
    at += cn.size();
  }
  return false;
}

std::vector<IndexEntry> read_index(const std::filesystem::path& state_dir) {
  std::vector<IndexEntry> entries;
  for_each_line(state_dir / kIndexFile, [&](std::string_view line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.emplace_back(line.substr(start, tab - start));
    }
    fields.emplace_back(line.substr(start));
    if (fields.size() == 4) entries.push_back({fields[0], fields[1], fields[2], fields[3]});
    return true;
  });
  return entries;
}

std::size_t issued_count(const std::filesystem::path& state_dir) {
  std::size_t lines = 0;
  for_each_line(state_dir / kIndexFile, [&](std::string_view line) {
    if (!line.empty()) ++lines;
    return true;
  });
  return lines;
}

}  // namespace espfab::pki
