// `espfab secure-cert generate|info`: the esp_secure_cert partition in Espressif's TLV format
// (cust_flash_tlv), byte-identical to configure_esp_secure_cert.py. See docs/identity.md.
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image/secure_cert_tlv.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::cli {
namespace {

using X509Ptr = OpenSslHandle<X509, X509_free>;
using BioPtr = OpenSslHandle<BIO, BIO_free>;

X509Ptr parse_certificate(ByteView pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

X509Ptr load_certificate(const std::string& path, const std::string& option) {
  const Bytes pem = read_file(path);
  X509Ptr cert = parse_certificate(pem);
  crypto::last_openssl_error();  // clear the queue either way
  if (!cert) {
    throw BadInputError("secure_cert.bad_certificate", fmt::format("{} {} is not a PEM certificate", option, path),
                        "give the certificate as PEM text (-----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

std::string subject_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string key_description(EVP_PKEY* key) {
  const char* name = EVP_PKEY_get0_type_name(key);
  return fmt::format("{} {}", name != nullptr ? name : "key", EVP_PKEY_get_bits(key));
}

// ---- generate ----

struct GenerateArgs {
  std::string device_cert;
  std::string private_key;
  std::string ca_cert;
  std::string output;
  bool no_integrity = false;
};

void generate(const GenerateArgs& args) {
  const Bytes device_pem = read_file(args.device_cert);
  const Bytes ca_pem = read_file(args.ca_cert);
  const SecretBytes key_pem(read_file(args.private_key));
  const X509Ptr device = load_certificate(args.device_cert, "--device-cert");
  const X509Ptr ca = load_certificate(args.ca_cert, "--ca-cert");
  crypto::EvpPkeyPtr key;
  try {
    key = crypto::load_private_key_pem(key_pem);
  } catch (const CryptoError&) {
    throw BadInputError("secure_cert.bad_private_key",
                        fmt::format("--private-key {} is not an unencrypted PEM private key", args.private_key),
                        "give the device key as PEM (PKCS#8, PKCS#1 or SEC1), without a passphrase");
  }
  if (X509_check_private_key(device.get(), key.get()) != 1) {
    crypto::last_openssl_error();
    throw BadInputError(
        "secure_cert.key_mismatch",
        fmt::format("--private-key {} does not belong to --device-cert {}", args.private_key, args.device_cert),
        "give the key the device certificate was issued for");
  }
  EVP_PKEY* ca_public = X509_get0_pubkey(ca.get());
  if (ca_public == nullptr || X509_verify(device.get(), ca_public) != 1) {
    crypto::last_openssl_error();
    throw BadInputError("secure_cert.not_issued_by_ca",
                        fmt::format("--device-cert {} is not signed by --ca-cert {}", args.device_cert, args.ca_cert),
                        "give the CA certificate that issued the device certificate");
  }

  const SecretBytes partition = image::build_secure_cert_partition(
      {.ca_cert = ca_pem, .device_cert = device_pem, .private_key = &key_pem, .integrity = !args.no_integrity});
  // The file holds the plaintext private key: only its owner may read it.
  write_file_atomic(args.output, partition.view(), 0600);
  std::cout << fmt::format(
      "{}: esp_secure_cert TLV partition, {} of {} bytes: ca_cert ({}), dev_cert ({}), "
      "priv_key ({}, plaintext){}\n",
      args.output, partition.size(), image::kSecureCertPartitionSize, subject_of(ca.get()), subject_of(device.get()),
      key_description(key.get()), args.no_integrity ? "" : ", integrity (SHA-256)");
  std::cout << "  contains the device private key (file mode 0600); flash it to the esp_secure_cert partition "
               "(type 0x3F, flagged encrypted)\n";
}

// ---- info ----

struct InfoArgs {
  std::string input;
  bool json = false;
};

nlohmann::json tlv_to_json(ByteView file, const image::SecureCertTlv& tlv) {
  nlohmann::json item{{"offset", tlv.offset},
                      {"type", tlv.type},
                      {"type_name", image::secure_cert_tlv_type_name(tlv.type)},
                      {"subtype", tlv.subtype},
                      {"flags", tlv.flags},
                      {"flag_names", image::secure_cert_flag_names(tlv.flags)},
                      {"length", tlv.length},
                      {"stored_crc", tlv.stored_crc},
                      {"calculated_crc", tlv.calculated_crc},
                      {"crc_valid", tlv.crc_valid()}};
  if (tlv.integrity_valid) item["integrity_valid"] = *tlv.integrity_valid;
  const auto type = static_cast<image::SecureCertTlvType>(tlv.type);
  if (type == image::SecureCertTlvType::CaCert || type == image::SecureCertTlvType::DevCert) {
    if (X509Ptr cert = parse_certificate(image::secure_cert_value(file, tlv))) {
      item["subject"] = subject_of(cert.get());
    }
    crypto::last_openssl_error();
  }
  if (type == image::SecureCertTlvType::PrivKey && tlv.flags == 0) {
    try {
      const SecretBytes pem(image::secure_cert_value(file, tlv));
      item["key"] = key_description(crypto::load_private_key_pem(pem).get());
    } catch (const CryptoError&) {
      item["key"] = "unreadable";
    }
  }
  return item;
}

void info(const InfoArgs& args) {
  // The partition may hold a private key: keep the file's bytes in wiped memory.
  const SecretBytes file(read_file(args.input));
  image::SecureCertPartition parsed;
  try {
    parsed = image::parse_secure_cert_partition(file.view());
  } catch (Error& error) {
    error.with_context("reading esp_secure_cert partition " + args.input);
    if (args.json) std::cout << error_to_json(error).dump(2) << "\n";
    throw;
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& tlv : parsed.tlvs) records.push_back(tlv_to_json(file.view(), tlv));
  const bool valid = parsed.valid();
  if (args.json) {
    std::cout << nlohmann::json{{"input", args.input},
                                {"size", file.size()},
                                {"end", parsed.end},
                                {"tail_erased", parsed.tail_erased},
                                {"nonzero_padding", parsed.nonzero_padding},
                                {"nonzero_reserved", parsed.nonzero_reserved},
                                {"valid", valid},
                                {"records", records}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << fmt::format("{}: esp_secure_cert TLV partition, {} record{}, {} bytes used of {}\n", args.input,
                             parsed.tlvs.size(), parsed.tlvs.size() == 1 ? "" : "s", parsed.end, file.size());
    for (const auto& record : records) {
      std::string flags = "plain";
      if (record["flags"].get<int>() != 0) {
        flags.clear();
        for (const auto& name : record["flag_names"]) flags += (flags.empty() ? "" : "+") + name.get<std::string>();
      }
      std::string detail;
      if (record.contains("subject")) detail = "  " + record["subject"].get<std::string>();
      if (record.contains("key")) detail = "  " + record["key"].get<std::string>();
      if (record.contains("integrity_valid")) {
        detail = record["integrity_valid"].get<bool>() ? "  SHA-256 ok" : "  SHA-256 MISMATCH";
      }
      std::cout << fmt::format(
          "  {:#06x}  {:<16} sub {}  flags {:<6} len {:>5}  crc {:08x} {}{}\n", record["offset"].get<std::size_t>(),
          record["type_name"].get<std::string>(), record["subtype"].get<int>(), flags, record["length"].get<int>(),
          record["stored_crc"].get<std::uint32_t>(), record["crc_valid"].get<bool>() ? "ok" : "BAD", detail);
    }
    if (!parsed.tail_erased) std::cout << "  note: bytes after the last record are not erased (0xFF)\n";
    if (!valid) {
      std::cout << (parsed.tlvs.empty() ? "  no records: the partition is erased\n"
                                        : "  INVALID: a CRC or the integrity digest does not match\n");
    }
  }
  if (!valid) throw ExitRequest{kExitCheckFailed};
}

const RegisterGroup group{"secure-cert", "Build and inspect esp_secure_cert partitions (TLV format)"};

const RegisterCommand generate_command{{
    "secure-cert generate",
    "Build an esp_secure_cert TLV partition from a device certificate, its private key and the CA certificate",
    [](CLI::App& app) {
      auto args = std::make_shared<GenerateArgs>();
      app.add_option("--device-cert", args->device_cert, "device certificate (PEM)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--private-key", args->private_key, "the device's private key (PEM, unencrypted)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--ca-cert", args->ca_cert, "certificate of the CA that issued the device certificate (PEM)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("-o,--output", args->output,
                     "partition binary to write (mode 0600: it holds the private key); written atomically")
          ->required();
      app.add_flag("--no-integrity", args->no_integrity, "leave out the integrity record (SHA-256 of the others)");
      app.footer(
          "Same output as configure_esp_secure_cert.py --secure_cert_type cust_flash_tlv: records CA cert,\n"
          "device cert, private key (plaintext, traditional PEM), integrity; each value NUL-terminated, padded\n"
          "to 16 bytes, CRC32 footer. At most 8 KiB. Exit status: 0 ok, 2 bad input (nothing written).\n"
          "Example:\n"
          "  espfab secure-cert generate --device-cert dev.pem --private-key dev.key --ca-cert ca.pem -o sc.bin\n");
      app.callback([args] { generate(*args); });
    },
}};

const RegisterCommand info_command{{
    "secure-cert info",
    "List the records of an esp_secure_cert TLV partition and check their CRCs and integrity digest",
    [](CLI::App& app) {
      auto args = std::make_shared<InfoArgs>();
      app.add_option("BIN", args->input, "esp_secure_cert partition (as generated, or read back from flash)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_flag("--json", args->json, "print the records as JSON");
      app.footer("Exit status: 0 valid, 1 a CRC or digest is wrong (or no records), 2 not a TLV partition.\n");
      app.callback([args] { info(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
