#include "service/partition_table_operations.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "chip/esp32s3.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/partition_csv_writer.hpp"
#include "image/partition_verify.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::uint64_t flash_size_bytes(const std::string& name) {
  if (auto bytes = chip::kEsp32s3.flash_size_bytes(name)) return *bytes;
  std::string valid;
  for (const auto& size : chip::kEsp32s3.flash_sizes) valid += (valid.empty() ? "" : ", ") + std::string(size.name);
  throw BadInputError("cli.bad_flash_size", fmt::format("--flash-size '{}' is not a flash size", name),
                      fmt::format("use one of {}", valid));
}

image::PartitionTable read_table(const PartitionTableRequest& request, ByteView input, bool from_binary) {
  try {
    if (from_binary) return image::read_partition_binary(input, request.md5);
    auto options = image::PartitionCsvOptions::for_chip(chip::kEsp32s3);
    options.table_offset = request.table_offset;
    return image::parse_partition_csv(std::string_view(reinterpret_cast<const char*>(input.data()), input.size()),
                                      options);
  } catch (Error& error) {
    error.with_context(
        fmt::format("reading {} {}", from_binary ? "binary partition table" : "CSV", request.input.string()));
    throw;
  }
}

Bytes write_table(const PartitionTableRequest& request, const image::PartitionTable& table, bool from_binary) {
  try {
    if (from_binary) return to_bytes(image::write_partition_csv(table));
    return image::write_partition_binary(table, request.md5);
  } catch (Error& error) {
    error.with_context(fmt::format("writing {}", from_binary ? "CSV" : "binary partition table"));
    throw;
  }
}

}  // namespace

PartitionTableResult convert_partition_table(const PartitionTableRequest& request) {
  std::optional<std::uint64_t> flash_size;
  if (!request.flash_size.empty()) flash_size = flash_size_bytes(request.flash_size);

  const Bytes input = read_file(request.input);
  PartitionTableResult result;
  result.from_binary = image::looks_like_partition_binary(input);
  result.table = read_table(request, input, result.from_binary);

  if (request.verify) {
    result.problems =
        image::find_partition_problems(result.table, {.table_offset = request.table_offset, .flash_size = flash_size});
  } else if (flash_size) {
    if (auto problem = image::flash_size_problem(result.table, *flash_size)) {
      result.problems.push_back(std::move(*problem));
    }
  }
  if (!result.problems.empty()) return result;

  // The whole output is built before the output file is touched.
  const Bytes output = write_table(request, result.table, result.from_binary);
  if (!request.output.empty()) write_file_atomic(request.output, output);
  result.output_size = output.size();
  return result;
}

}  // namespace espfab::service
