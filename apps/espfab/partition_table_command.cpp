// `espfab partition-table IN -o OUT`: ESP-IDF partition table CSV -> binary, or binary -> CSV,
// decided by the input's first bytes; checks the table like gen_esp32part.py and prints every
// problem it finds. See docs/partition-table.md.
#include <fmt/format.h>

#include <iostream>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image/partition_table.hpp"
#include "service/partition_table_operations.hpp"

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

void run(const PartitionTableArgs& args) {
  if (args.output.empty() && !args.json) {
    throw CLI::ValidationError("-o", "give an output file with -o OUT (or --json to only print the table)");
  }
  const service::PartitionTableRequest request{.input = args.input,
                                               .output = args.output,
                                               .flash_size = args.flash_size,
                                               .table_offset = parse_u32(args.offset, "--offset"),
                                               .md5 = !args.disable_md5,
                                               .verify = !args.no_verify};
  const auto result = service::convert_partition_table(request);

  if (!result.problems.empty()) {
    for (const auto& problem : result.problems) print_error(std::cerr, problem);
    std::cerr << fmt::format("{}: {} problem{} in the partition table; nothing written\n", args.input,
                             result.problems.size(), result.problems.size() == 1 ? "" : "s");
    if (args.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& problem : result.problems) list.push_back(error_to_json(problem)["error"]);
      nlohmann::json json = error_to_json(result.problems.front());
      json["problems"] = std::move(list);
      print_json(json);
    }
    throw ExitRequest{kExitBadInput};
  }

  const bool from_binary = result.from_binary;
  if (args.json) {
    print_json({{"input", args.input},
                {"input_format", from_binary ? "binary" : "csv"},
                {"output", args.output.empty() ? nlohmann::json() : nlohmann::json(args.output)},
                {"output_format", from_binary ? "csv" : "binary"},
                {"table_offset", request.table_offset},
                {"md5", !args.disable_md5},
                {"verified", !args.no_verify},
                {"flash_end", result.table.flash_end()},
                {"partitions", table_to_json(result.table)}});
  } else {
    std::cout << fmt::format("{} -> {}: {} partitions, {}{}\n", args.input, args.output, result.table.entries.size(),
                             from_binary ? "CSV" : fmt::format("{}-byte binary", result.output_size),
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
