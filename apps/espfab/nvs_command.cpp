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
#include "image/nvs_csv.hpp"
#include "image/nvs_keys.hpp"
#include "image/nvs_reader.hpp"
#include "image/nvs_writer.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

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

image::NvsKeys load_keys(const std::string& path) {
  const SecretBytes file(read_file(path));
  try {
    return image::read_nvs_keys_partition(file.view());
  } catch (Error& error) {
    error.with_context("reading NVS keys " + path);
    throw;
  }
}

void generate(const GenerateArgs& args, bool encrypt) {
  const std::uint32_t size = parse_u32(args.size, "SIZE");
  const image::NvsVersion version = args.version == 1 ? image::NvsVersion::V1 : image::NvsVersion::V2;
  std::optional<image::NvsKeys> keys;
  if (encrypt) keys.emplace(load_keys(args.keyfile));

  const std::string text = read_text_file(args.csv);
  image::NvsBuildResult result;
  try {
    // `file` rows are read relative to the current directory, as nvs_partition_gen.py does.
    const auto items = image::parse_nvs_csv(text, [](const std::string& path) { return read_file(path); });
    result = image::build_nvs_partition(items, size, {.version = version, .keys = keys ? &*keys : nullptr});
  } catch (Error& error) {
    error.with_context("building the NVS partition from " + args.csv);
    throw;
  }
  for (const auto& warning : result.warnings) std::cerr << "warning: " << args.csv << ": " << warning << "\n";
  // A plain partition may hold secrets the CSV put there: readable by its owner only.
  write_file_atomic(args.output, result.partition, 0600);
  std::cout << fmt::format("{}: NVS partition, format v{}, {} bytes, {} page{} used{}\n", args.output, args.version,
                           result.partition.size(), result.pages_used, result.pages_used == 1 ? "" : "s",
                           encrypt ? ", XTS-AES encrypted with " + args.keyfile : "");
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
  std::optional<image::NvsKeys> keys;
  if (args.hmac_key.empty()) {
    keys.emplace(image::NvsKeys::generate());
  } else {
    const SecretBytes hmac_key(read_file(args.hmac_key));
    keys.emplace(image::NvsKeys::from_hmac_key(hmac_key.view()));
  }
  const SecretBytes image = image::build_nvs_keys_partition(*keys);
  write_file_atomic(args.output, image.view(), 0600);
  std::cout << fmt::format(
      "{}: nvs_keys partition (4096 bytes, mode 0600), XTS-AES-256 keys {}\n", args.output,
      args.hmac_key.empty() ? "from the random generator" : "derived by HMAC-SHA256 from " + args.hmac_key);
  std::cout << "  flash it to a data/nvs_keys partition flagged encrypted; keep it secret\n";
}

// ---- info ----

struct InfoArgs {
  std::string input;
  std::string keyfile;
  bool json = false;
  bool show_values = false;
};

bool looks_secret(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("PRIVATE KEY") != std::string_view::npos;
}

nlohmann::json value_to_json(const image::NvsValue& value, bool show_values) {
  const auto type = static_cast<std::uint8_t>(value.type);
  nlohmann::json item{{"namespace", value.namespace_name},
                      {"namespace_index", value.namespace_index},
                      {"key", value.key},
                      {"type", value.type == image::NvsType::BlobIndex ? "blob" : *image::nvs_type_name(type)},
                      {"page", value.page},
                      {"slot", value.slot},
                      {"crc_valid", value.crc_valid}};
  if (image::nvs_type_is_integer(type)) {
    if (image::nvs_integer_is_signed(type)) {
      item["value"] = value.as_signed();
    } else {
      item["value"] = value.integer_bits;
    }
    return item;
  }
  item["size"] = value.data.size();
  const ByteView data = value.data.view();
  const std::string digest = to_hex(crypto::sha256(data));
  item["sha256"] = digest;
  if (value.type == image::NvsType::String) {
    if (show_values || !looks_secret(data)) {
      item["value"] = std::string(data.begin(), data.end());
    } else {
      item["value"] = value.data.redacted();
    }
  } else if (show_values) {
    item["hex"] = to_hex(data);
  }
  return item;
}

void info(const InfoArgs& args) {
  const Bytes file = read_file(args.input);
  std::optional<image::NvsKeys> keys;
  if (!args.keyfile.empty()) keys.emplace(load_keys(args.keyfile));
  image::NvsPartitionContents contents;
  try {
    contents = image::read_nvs_partition(file, keys ? &*keys : nullptr);
  } catch (Error& error) {
    error.with_context("reading NVS partition " + args.input);
    throw;
  }
  nlohmann::json values = nlohmann::json::array();
  for (const auto& value : contents.values) values.push_back(value_to_json(value, args.show_values));
  if (args.json) {
    nlohmann::json pages = nlohmann::json::array();
    for (const auto& page : contents.pages) {
      pages.push_back({{"index", page.index},
                       {"state", page.state},
                       {"sequence", page.sequence},
                       {"version", page.version},
                       {"header_crc_valid", page.header_crc_valid},
                       {"entries_used", page.entries_used}});
    }
    nlohmann::json namespaces = nlohmann::json::array();
    for (const auto& ns : contents.namespaces) namespaces.push_back({{"index", ns.index}, {"name", ns.name}});
    std::cout << nlohmann::json{{"input", args.input},
                                {"size", file.size()},
                                {"encrypted", keys.has_value()},
                                {"valid", contents.valid()},
                                {"pages", pages},
                                {"namespaces", namespaces},
                                {"values", values},
                                {"problems", contents.problems}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    std::cout << fmt::format("{}: NVS partition, {} bytes, {} initialised page{}, {} namespace{}, {} value{}{}\n",
                             args.input, file.size(), contents.pages.size(), contents.pages.size() == 1 ? "" : "s",
                             contents.namespaces.size(), contents.namespaces.size() == 1 ? "" : "s",
                             contents.values.size(), contents.values.size() == 1 ? "" : "s",
                             keys ? " (decrypted)" : "");
    for (const auto& value : values) {
      std::string shown;
      if (value.contains("value")) {
        shown = value["value"].is_string() ? "\"" + value["value"].get<std::string>() + "\"" : value["value"].dump();
      } else if (value.contains("hex")) {
        shown = value["hex"].get<std::string>();
      } else {
        shown = fmt::format("{} bytes, sha256 {}", value["size"].get<std::size_t>(),
                            value["sha256"].get<std::string>().substr(0, 16));
      }
      const std::string name = value["namespace"].get<std::string>() + ":" + value["key"].get<std::string>();
      std::cout << fmt::format("  {:<28} {:<6} {}{}\n", name, value["type"].get<std::string>(), shown,
                               value["crc_valid"].get<bool>() ? "" : "  CRC BAD");
    }
    for (const auto& problem : contents.problems) std::cout << "  problem: " << problem << "\n";
  }
  if (!contents.valid()) throw ExitRequest{kExitCheckFailed};
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
