#include "station/serial_lease_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

constexpr int kLeaseFileVersion = 1;

[[noreturn]] void damaged(const std::filesystem::path& file, const std::string& why) {
  throw IoError("station.serial_lease_file", fmt::format("the serial lease file {} is damaged: {}", file.string(), why),
                "move it away: the station DB server knows the station's lease and the station reads it back "
                "when it reaches the server (numbers given to devices while it was unreachable are then "
                "allocated again)");
}

}  // namespace

std::optional<LeaseFile> read_lease_file(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  const auto json = nlohmann::json::parse(read_text_file(file), nullptr, false);
  if (json.is_discarded() || !json.is_object()) damaged(file, "not a JSON object");
  if (json.value("version", 0) != kLeaseFileVersion) damaged(file, "unknown version");
  LeaseFile lease;
  try {
    lease.prefix = json.at("prefix").get<std::string>();
    lease.free = json.at("free").get<std::vector<std::uint64_t>>();
    lease.bound = json.at("bound").get<std::map<std::string, std::uint64_t>>();
  } catch (const nlohmann::json::exception& error) {
    damaged(file, error.what());
  }
  return lease;
}

void write_lease_file(const std::filesystem::path& file, const LeaseFile& lease) {
  const nlohmann::json json = {
      {"version", kLeaseFileVersion}, {"prefix", lease.prefix}, {"free", lease.free}, {"bound", lease.bound}};
  write_text_file_atomic(file, json.dump(1) + "\n");
}

}  // namespace espfab::station
