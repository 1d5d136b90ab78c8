// `espfab secure-cert generate|info`: the esp_secure_cert partition in Espressif's TLV format
// (cust_flash_tlv), byte-identical to configure_esp_secure_cert.py. See docs/identity.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "service/secure_cert_operations.hpp"

namespace espfab::cli {
namespace {

// ---- generate ----

struct GenerateArgs {
  std::string device_cert;
  std::string private_key;
  std::string ca_cert;
  std::string output;
  bool no_integrity = false;
};

void generate(const GenerateArgs& args) {
  const auto result = service::generate_secure_cert({.device_cert = args.device_cert,
                                                     .private_key = args.private_key,
                                                     .ca_cert = args.ca_cert,
                                                     .output = args.output,
                                                     .integrity = !args.no_integrity});
  std::cout << fmt::format(
      "{}: esp_secure_cert TLV partition, {} of {} bytes: ca_cert ({}), dev_cert ({}), "
      "priv_key ({}, plaintext){}\n",
      args.output, result.size, image::kSecureCertPartitionSize, result.ca_subject, result.device_subject,
      result.key_description, args.no_integrity ? "" : ", integrity (SHA-256)");
  std::cout << "  contains the device private key (file mode 0600); flash it to the esp_secure_cert partition "
               "(type 0x3F, flagged encrypted)\n";
}

// ---- info ----

struct InfoArgs {
  std::string input;
  bool json = false;
};

nlohmann::json record_to_json(const service::SecureCertRecordInfo& record) {
  const image::SecureCertTlv& tlv = record.tlv;
  nlohmann::json item{{"offset", tlv.offset},
                      {"type", tlv.type},
                      {"type_name", record.type_name},
                      {"subtype", tlv.subtype},
                      {"flags", tlv.flags},
                      {"flag_names", record.flag_names},
                      {"length", tlv.length},
                      {"stored_crc", tlv.stored_crc},
                      {"calculated_crc", tlv.calculated_crc},
                      {"crc_valid", tlv.crc_valid()}};
  if (tlv.integrity_valid) item["integrity_valid"] = *tlv.integrity_valid;
  if (record.subject) item["subject"] = *record.subject;
  if (record.key) item["key"] = *record.key;
  return item;
}

void print_record(const service::SecureCertRecordInfo& record) {
  const image::SecureCertTlv& tlv = record.tlv;
  std::string flags = "plain";
  if (tlv.flags != 0) {
    flags.clear();
    for (const auto& name : record.flag_names) flags += (flags.empty() ? "" : "+") + name;
  }
  std::string detail;
  if (record.subject) detail = "  " + *record.subject;
  if (record.key) detail = "  " + *record.key;
  if (tlv.integrity_valid) detail = *tlv.integrity_valid ? "  SHA-256 ok" : "  SHA-256 MISMATCH";
  std::cout << fmt::format("  {:#06x}  {:<16} sub {}  flags {:<6} len {:>5}  crc {:08x} {}{}\n", tlv.offset,
                           record.type_name, static_cast<int>(tlv.subtype), flags, static_cast<int>(tlv.length),
                           tlv.stored_crc, tlv.crc_valid() ? "ok" : "BAD", detail);
}

void info(const InfoArgs& args) {
  const auto result = service::inspect_secure_cert(args.input);
  if (!result) throw result.error();
  const service::SecureCertInfo& parsed = *result;
  if (args.json) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& record : parsed.records) records.push_back(record_to_json(record));
    std::cout << nlohmann::json{{"input", args.input},
                                {"size", parsed.size},
                                {"end", parsed.end},
                                {"tail_erased", parsed.tail_erased},
                                {"nonzero_padding", parsed.nonzero_padding},
                                {"nonzero_reserved", parsed.nonzero_reserved},
                                {"valid", parsed.valid},
                                {"records", records}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << fmt::format("{}: esp_secure_cert TLV partition, {} record{}, {} bytes used of {}\n", args.input,
                             parsed.records.size(), parsed.records.size() == 1 ? "" : "s", parsed.end, parsed.size);
    for (const auto& record : parsed.records) print_record(record);
    if (!parsed.tail_erased) std::cout << "  note: bytes after the last record are not erased (0xFF)\n";
    if (!parsed.valid) {
      std::cout << (parsed.records.empty() ? "  no records: the partition is erased\n"
                                           : "  INVALID: a CRC or the integrity digest does not match\n");
    }
  }
  if (!parsed.valid) throw ExitRequest{kExitCheckFailed};
}

const RegisterGroup kGroup{"secure-cert", "Build and inspect esp_secure_cert partitions (TLV format)"};

const RegisterCommand kGenerate{{
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

const RegisterCommand kInfo{{
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
