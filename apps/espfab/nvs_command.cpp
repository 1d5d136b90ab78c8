// `espfab nvs generate|encrypt|keygen|info`: NVS partitions from nvs_partition_gen CSV files,
// byte-identical to esp-idf-nvs-partition-gen 0.2.0, optionally XTS-AES encrypted with an
// nvs_keys partition. See docs/identity.md.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "service/nvs_operations.hpp"

namespace espfab::cli {
namespace {

// ---- generate / encrypt ----

struct GenerateArgs {
  std::string csv;
  std::string size;
  std::string output;
  unsigned version = 2;
  std::string keyfile;  // encrypt only
};

void generate(const GenerateArgs& args, bool encrypt) {
  const std::uint32_t size = parse_u32(args.size, "SIZE");
  const auto result =
      service::generate_nvs_partition({.csv = args.csv,
                                       .size = size,
                                       .version = args.version == 1 ? image::NvsVersion::V1 : image::NvsVersion::V2,
                                       .keyfile = encrypt ? args.keyfile : std::string(),
                                       .output = args.output});
  for (const auto& warning : result.warnings) std::cerr << "warning: " << args.csv << ": " << warning << "\n";
  std::cout << fmt::format("{}: NVS partition, format v{}, {} bytes, {} page{} used{}\n", args.output, args.version,
                           result.size, result.pages_used, result.pages_used == 1 ? "" : "s",
                           result.encrypted ? ", XTS-AES encrypted with " + args.keyfile : "");
}

void add_generate_options(CLI::App& app, GenerateArgs& args) {
  app.add_option("CSV", args.csv, "nvs_partition_gen CSV: key,type,encoding,value")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("SIZE", args.size, "partition size, a multiple of 0x1000 (e.g. 0x6000, 24K)")->required();
  app.add_option("-o,--output", args.output, "partition binary to write (mode 0600, atomically)")->required();
  app.add_option("--version", args.version, "NVS format: 2 (multi-page blobs, default) or 1")
      ->check(CLI::IsMember({1u, 2u}))
      ->capture_default_str();
}

// ---- keygen ----

struct KeygenArgs {
  std::string output;
  std::string hmac_key;
};

void keygen(const KeygenArgs& args) {
  const auto result = service::generate_nvs_keys({.output = args.output, .hmac_key = args.hmac_key});
  std::cout << fmt::format(
      "{}: nvs_keys partition ({} bytes, mode 0600), XTS-AES-256 keys {}\n", args.output, result.size,
      result.derived_from_hmac_key ? "derived by HMAC-SHA256 from " + args.hmac_key : "from the random generator");
  std::cout << "  flash it to a data/nvs_keys partition flagged encrypted; keep it secret\n";
}

// ---- info ----

struct InfoArgs {
  std::string input;
  std::string keyfile;
  bool json = false;
  bool show_values = false;
};

nlohmann::json value_to_json(const service::NvsValueSummary& value) {
  nlohmann::json item{{"namespace", value.namespace_name},
                      {"namespace_index", value.namespace_index},
                      {"key", value.key},
                      {"type", value.type},
                      {"page", value.page},
                      {"slot", value.slot},
                      {"crc_valid", value.crc_valid}};
  if (value.signed_value) {
    item["value"] = *value.signed_value;
    return item;
  }
  if (value.unsigned_value) {
    item["value"] = *value.unsigned_value;
    return item;
  }
  item["size"] = value.size;
  item["sha256"] = value.sha256;
  if (value.text) item["value"] = *value.text;
  if (value.hex) item["hex"] = *value.hex;
  return item;
}

// The value column of the text listing: a string quoted, a number, a blob's hex, or its size and digest.
std::string shown_value(const service::NvsValueSummary& value) {
  if (value.signed_value) return std::to_string(*value.signed_value);
  if (value.unsigned_value) return std::to_string(*value.unsigned_value);
  if (value.text) return "\"" + *value.text + "\"";
  if (value.hex) return *value.hex;
  return fmt::format("{} bytes, sha256 {}", value.size, value.sha256.substr(0, 16));
}

void print_json(const InfoArgs& args, const service::NvsInfoResult& result) {
  nlohmann::json pages = nlohmann::json::array();
  for (const auto& page : result.pages) {
    pages.push_back({{"index", page.index},
                     {"state", page.state},
                     {"sequence", page.sequence},
                     {"version", page.version},
                     {"header_crc_valid", page.header_crc_valid},
                     {"entries_used", page.entries_used}});
  }
  nlohmann::json namespaces = nlohmann::json::array();
  for (const auto& ns : result.namespaces) namespaces.push_back({{"index", ns.index}, {"name", ns.name}});
  nlohmann::json values = nlohmann::json::array();
  for (const auto& value : result.values) values.push_back(value_to_json(value));
  std::cout << nlohmann::json{{"input", args.input},
                              {"size", result.size},
                              {"encrypted", result.decrypted},
                              {"valid", result.valid()},
                              {"pages", pages},
                              {"namespaces", namespaces},
                              {"values", values},
                              {"problems", result.problems}}
                   .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
}

void print_text(const InfoArgs& args, const service::NvsInfoResult& result) {
  std::cout << fmt::format("{}: NVS partition, {} bytes, {} initialised page{}, {} namespace{}, {} value{}{}\n",
                           args.input, result.size, result.pages.size(), result.pages.size() == 1 ? "" : "s",
                           result.namespaces.size(), result.namespaces.size() == 1 ? "" : "s", result.values.size(),
                           result.values.size() == 1 ? "" : "s", result.decrypted ? " (decrypted)" : "");
  for (const auto& value : result.values) {
    const std::string name = value.namespace_name + ":" + value.key;
    std::cout << fmt::format("  {:<28} {:<6} {}{}\n", name, value.type, shown_value(value),
                             value.crc_valid ? "" : "  CRC BAD");
  }
  for (const auto& problem : result.problems) std::cout << "  problem: " << problem << "\n";
}

void info(const InfoArgs& args) {
  const auto result =
      service::inspect_nvs_partition({.input = args.input, .keyfile = args.keyfile, .show_values = args.show_values});
  if (args.json) {
    print_json(args, result);
  } else {
    print_text(args, result);
  }
  if (!result.valid()) throw ExitRequest{kExitCheckFailed};
}

const RegisterGroup kGroup{"nvs", "Build, encrypt and inspect NVS partitions (nvs_partition_gen compatible)"};

const RegisterCommand kGenerate{{
    "nvs generate",
    "Build an NVS partition from an nvs_partition_gen CSV (byte-identical to nvs_partition_gen.py generate)",
    [](CLI::App& app) {
      auto args = std::make_shared<GenerateArgs>();
      add_generate_options(app, *args);
      app.footer(
          "CSV rows: key,type,encoding,value with type namespace|data|file and encoding u8..i64, string,\n"
          "hex2bin, base64, binary; `file` values are paths relative to the current directory.\n"
          "Exit status: 0 ok, 2 bad input or too small (nothing written). See docs/identity.md.\n"
          "Example: espfab nvs generate nvs.csv 0x6000 -o nvs.bin\n");
      app.callback([args] { generate(*args, false); });
    },
}};

const RegisterCommand kEncrypt{{
    "nvs encrypt",
    "Build an XTS-AES encrypted NVS partition with the keys of an nvs_keys partition",
    [](CLI::App& app) {
      auto args = std::make_shared<GenerateArgs>();
      add_generate_options(app, *args);
      app.add_option("--keyfile", args->keyfile, "nvs_keys partition (from 'espfab nvs keygen') or 64 raw key bytes")
          ->required()
          ->check(CLI::ExistingFile);
      app.footer(
          "Same as nvs_partition_gen.py encrypt --inputkey KEYS: every written entry is encrypted on its own\n"
          "(XTS-AES-256, tweak = its address in the partition); headers and empty entries stay plain.\n"
          "Example: espfab nvs encrypt nvs.csv 0x6000 -o nvs_enc.bin --keyfile nvs_keys.bin\n");
      app.callback([args] { generate(*args, true); });
    },
}};

const RegisterCommand kKeygen{{
    "nvs keygen",
    "Make an nvs_keys partition: random XTS-AES keys, or keys derived from an HMAC key",
    [](CLI::App& app) {
      auto args = std::make_shared<KeygenArgs>();
      app.add_option("-o,--output", args->output, "nvs_keys partition to write (4096 bytes, mode 0600)")->required();
      app.add_option("--hmac-key", args->hmac_key,
                     "32-byte HMAC key file: derive the keys as nvs_partition_gen.py --key_protect_hmac does "
                     "(the device derives the same keys from its eFuse HMAC key)")
          ->check(CLI::ExistingFile);
      app.callback([args] { keygen(*args); });
    },
}};

const RegisterCommand kInfo{{
    "nvs info",
    "List the namespaces and values of an NVS partition (decrypting it with --keyfile) and check its CRCs",
    [](CLI::App& app) {
      auto args = std::make_shared<InfoArgs>();
      app.add_option("BIN", args->input, "NVS partition binary")->required()->check(CLI::ExistingFile);
      app.add_option("--keyfile", args->keyfile, "nvs_keys partition to decrypt with")->check(CLI::ExistingFile);
      app.add_flag("--json", args->json, "print pages, namespaces, values and problems as JSON");
      app.add_flag("--show-values", args->show_values,
                   "print blobs in hex and strings that look like private keys (hidden by default)");
      app.footer("Exit status: 0 valid, 1 a CRC or structure problem (listed), 2 not an NVS partition.\n");
      app.callback([args] { info(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
