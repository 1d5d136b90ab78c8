// `espfab partition-table IN -o OUT`: ESP-IDF partition table CSV -> binary, or binary -> CSV,
// decided by the input's first bytes; checks the table like gen_esp32part.py and prints every
// problem it finds. See docs/partition-table.md.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/partition_csv_writer.hpp"
#include "image/partition_verify.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct PartitionTableArgs {
  std::string input;
  std::string output;
  std::string flash_size;
  std::string offset = "0x8000";
  bool disable_md5 = false;
  bool no_verify = false;
  bool json = false;
};

nlohmann::json table_to_json(const image::PartitionTable& table) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& entry : table.entries) {
    nlohmann::json item{{"name", entry.name},
                        {"type", entry.type},
                        {"type_name", image::type_text(entry.type)},
                        {"subtype", entry.subtype},
                        {"subtype_name", image::subtype_text(entry.type, entry.subtype)},
                        {"offset", entry.offset},
                        {"size", entry.size},
                        {"encrypted", entry.encrypted},
                        {"readonly", entry.readonly}};
    if (entry.line != 0) item["line"] = entry.line;
    partitions.push_back(std::move(item));
  }
  return partitions;
}

// Names in a binary are untrusted bytes: never let invalid UTF-8 stop the JSON output.
void print_json(const nlohmann::json& json) {
  std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::uint64_t flash_size_bytes(const std::string& name) {
  if (auto bytes = chip::kEsp32s3.flash_size_bytes(name)) return *bytes;
  std::string valid;
  for (const auto& size : chip::kEsp32s3.flash_sizes) valid += (valid.empty() ? "" : ", ") + std::string(size.name);
  throw BadInputError("cli.bad_flash_size", fmt::format("--flash-size '{}' is not a flash size", name),
                      fmt::format("use one of {}", valid));
}

void run(const PartitionTableArgs& args) {
  if (args.output.empty() && !args.json) {
    throw CLI::ValidationError("-o", "give an output file with -o OUT (or --json to only print the table)");
  }
  const std::uint32_t offset = parse_u32(args.offset, "--offset");
  std::optional<std::uint64_t> flash_size;
  if (!args.flash_size.empty()) flash_size = flash_size_bytes(args.flash_size);

  const Bytes input = read_file(args.input);
  const bool from_binary = image::looks_like_partition_binary(input);
  image::PartitionTable table;
  try {
    if (from_binary) {
      table = image::read_partition_binary(input, !args.disable_md5);
    } else {
      auto options = image::PartitionCsvOptions::for_chip(chip::kEsp32s3);
      options.table_offset = offset;
      table = image::parse_partition_csv(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()),
                                         options);
    }
  } catch (Error& error) {
    error.with_context(fmt::format("reading {} {}", from_binary ? "binary partition table" : "CSV", args.input));
    if (args.json) print_json(error_to_json(error));
    throw;
  }

  std::vector<BadInputError> problems;
  if (!args.no_verify) {
    problems = image::find_partition_problems(table, {.table_offset = offset, .flash_size = flash_size});
  } else if (flash_size) {
    if (auto problem = image::flash_size_problem(table, *flash_size)) problems.push_back(std::move(*problem));
  }
  if (!problems.empty()) {
    for (const auto& problem : problems) print_error(std::cerr, problem);
    std::cerr << fmt::format("{}: {} problem{} in the partition table; nothing written\n", args.input, problems.size(),
                             problems.size() == 1 ? "" : "s");
    if (args.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& problem : problems) list.push_back(error_to_json(problem)["error"]);
      nlohmann::json json = error_to_json(problems.front());
      json["problems"] = std::move(list);
      print_json(json);
    }
    throw ExitRequest{kExitBadInput};
  }

  // Build the whole output before touching the output file.
  Bytes output;
  try {
    if (from_binary) {
      output = to_bytes(image::write_partition_csv(table));
    } else {
      output = image::write_partition_binary(table, !args.disable_md5);
    }
  } catch (Error& error) {
    error.with_context(fmt::format("writing {}", from_binary ? "CSV" : "binary partition table"));
    if (args.json) print_json(error_to_json(error));
    throw;
  }
  if (!args.output.empty()) write_file_atomic(args.output, output);

  if (args.json) {
    print_json({{"input", args.input},
                {"input_format", from_binary ? "binary" : "csv"},
                {"output", args.output.empty() ? nlohmann::json() : nlohmann::json(args.output)},
                {"output_format", from_binary ? "csv" : "binary"},
                {"table_offset", offset},
                {"md5", !args.disable_md5},
                {"verified", !args.no_verify},
                {"flash_end", table.flash_end()},
                {"partitions", table_to_json(table)}});
  } else {
    std::cout << fmt::format("{} -> {}: {} partitions, {}{}\n", args.input, args.output, table.entries.size(),
                             from_binary ? "CSV" : fmt::format("{}-byte binary", output.size()),
                             from_binary || args.disable_md5 ? "" : " with MD5");
  }
}

const RegisterCommand kRegister{{
    "partition-table",
    "Convert an ESP-IDF partition table: CSV -> binary, or binary -> CSV (checked like gen_esp32part.py)",
    [](CLI::App& app) {
      auto args = std::make_shared<PartitionTableArgs>();
      app.add_option("IN", args->input, "partition table: ESP-IDF CSV, or a binary (starts with AA 50, EB EB or FF)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("-o,--output", args->output,
                     "where to write the result (binary for CSV input, CSV for binary input); written atomically, "
                     "nothing is left behind on error");
      app.add_option("--flash-size", args->flash_size, "check that the partitions fit this flash (1MB..128MB)");
      app.add_option("--offset", args->offset, "flash offset of the partition table; partitions start after its sector")
          ->capture_default_str();
      app.add_flag("--disable-md5", args->disable_md5,
                   "write no MD5 entry (CSV input) / do not check the MD5 entry (binary input)");
      app.add_flag("--no-verify", args->no_verify,
                   "skip the layout checks (alignment, overlap, otadata, nvs, names); --flash-size still applies");
      app.add_flag("--json", args->json, "print the parsed table (or the problems) as JSON on stdout");
      app.footer(
          "Examples:\n"
          "  espfab partition-table partitions.csv -o partition-table.bin --flash-size 8MB\n"
          "  espfab partition-table partition-table.bin -o partitions.csv\n"
          "  espfab partition-table partitions.csv --json\n"
          "\n"
          "CSV columns: name, type, subtype, offset, size, flags, e.g.\n"
          "  nvs,      data, nvs,     0x9000,  24K,\n"
          "  factory,  app,  factory, ,        1M,\n"
          "  keys,     data, nvs_keys, ,       4K,  encrypted\n"
          "An empty offset follows the previous partition (apps on 0x10000, others on 0x1000).\n"
          "Exit status: 0 ok, 2 bad input (every problem is printed with its line). See docs/partition-table.md.\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
