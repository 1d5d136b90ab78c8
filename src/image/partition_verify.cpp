#include "image/partition_verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "util/bytes.hpp"

namespace espfab::image {

namespace {

constexpr std::uint64_t kFourGib = std::uint64_t{1} << 32;

class ProblemList {
 public:
  explicit ProblemList(const PartitionTable& table) : table_(table) {}

  // "line 5: partition 'factory' <problem>".
  void add(std::size_t index, std::string_view rule, const std::string& problem, std::string hint) {
    const auto& entry = table_.entries[index];
    problems_.push_back(BadInputError(
        fmt::format("partition_table.{}", rule),
        fmt::format("{}: partition '{}' {}", entry_location(entry, index), entry.name, problem), std::move(hint)));
  }
  void add(BadInputError error) { problems_.push_back(std::move(error)); }

  std::vector<BadInputError> take() { return std::move(problems_); }

 private:
  const PartitionTable& table_;
  std::vector<BadInputError> problems_;
};

std::string type_pair(const PartitionEntry& entry) {
  return fmt::format("{}/{}", type_text(entry.type), subtype_text(entry.type, entry.subtype));
}

std::string size_text(std::uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

void check_entry(ProblemList& problems, const PartitionEntry& entry, std::size_t index) {
  const bool app = entry.type == kPartitionTypeApp;
  const std::uint32_t alignment = app ? kAppOffsetAlignment : kOtherOffsetAlignment;
  if (entry.offset % alignment != 0) {
    problems.add(
        index, "misaligned_offset",
        fmt::format("starts at {}, which is not a multiple of {}", address_text(entry.offset), address_text(alignment)),
        fmt::format("{} partitions start on a {} boundary; use {}, or leave the offset empty to place it "
                    "automatically",
                    app ? "app" : "non-app", address_text(alignment), address_text(align_up(entry.offset, alignment))));
  }
  if (app && entry.size % kAppSizeAlignment != 0) {
    problems.add(index, "misaligned_app_size",
                 fmt::format("has size {}, which is not a multiple of {}", address_text(entry.size),
                             address_text(kAppSizeAlignment)),
                 fmt::format("app partitions are whole 4 KB flash sectors; use {}",
                             address_text(align_up(entry.size, kAppSizeAlignment))));
  }
  if (entry.name.empty()) {
    problems.add(index, "bad_name", "has an empty name", "give the partition a name of 1 to 16 characters");
  } else if (entry.name.size() > kPartitionNameSize) {
    problems.add(
        index, "name_too_long",
        fmt::format("has a name of {} bytes; the binary holds at most {}", entry.name.size(), kPartitionNameSize),
        "shorten the name to 16 characters or fewer");
  } else if (std::any_of(entry.name.begin(), entry.name.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == ','; })) {
    problems.add(index, "bad_name", "has a control character or comma in its name",
                 "use letters, digits and '_' in partition names");
  }
  if (entry.type == kPartitionTypeData && entry.readonly &&
      (entry.subtype == kDataSubtypeOta || entry.subtype == kDataSubtypeCoredump)) {
    problems.add(index, "readonly_not_allowed",
                 fmt::format("({}) is flagged readonly, but ESP-IDF always writes to it", type_pair(entry)),
                 "remove the readonly flag");
  }
  if (entry.type == kPartitionTypeData && entry.subtype == kDataSubtypeNvs && !entry.readonly &&
      entry.size < kNvsReadWriteMinSize) {
    problems.add(index, "small_nvs_not_readonly",
                 fmt::format("({}) has size {}: a writable NVS needs at least {}", type_pair(entry),
                             address_text(entry.size), address_text(kNvsReadWriteMinSize)),
                 fmt::format("flag it readonly, or make it at least {} (12K)", address_text(kNvsReadWriteMinSize)));
  }
  if (entry.end() > kFourGib) {
    problems.add(index, "beyond_4gib",
                 fmt::format("ends at {}, beyond the 32-bit flash address range", address_text(entry.end())),
                 "make it smaller or move it down");
  }
}

void check_unique_names(ProblemList& problems, const PartitionTable& table) {
  std::map<std::string, std::size_t> first_use;
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    const auto& entry = table.entries[i];
    auto [found, inserted] = first_use.emplace(entry.name, i);
    if (inserted) continue;
    problems.add(i, "duplicate_name",
                 fmt::format("reuses the name of {}", entry_location(table.entries[found->second], found->second)),
                 "give every partition its own name");
  }
}

void check_placement(ProblemList& problems, const PartitionTable& table, const PartitionVerifyOptions& options) {
  const std::uint64_t first_free = std::uint64_t{options.table_offset} + kPartitionTableSectorSize;
  std::vector<std::size_t> order(table.entries.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return table.entries[a].offset < table.entries[b].offset; });
  std::optional<std::size_t> furthest;  // the partition reaching furthest so far, in offset order
  for (std::size_t index : order) {
    const auto& entry = table.entries[index];
    if (entry.offset < first_free && !entry.is_primary_bootloader() && !entry.is_primary_partition_table()) {
      problems.add(
          index, "below_table",
          fmt::format("starts at {}, below {} (the partition table occupies {}..{})", address_text(entry.offset),
                      address_text(first_free), address_text(options.table_offset), address_text(first_free)),
          fmt::format("move it to {} or later", address_text(first_free)));
    }
    if (furthest) {
      const auto& other = table.entries[*furthest];
      if (entry.offset < other.end()) {
        const std::uint64_t alignment = entry.type == kPartitionTypeApp ? kAppOffsetAlignment : kOtherOffsetAlignment;
        problems.add(index, "overlap",
                     fmt::format("({}..{}) overlaps '{}' ({}..{}, {})", address_text(entry.offset),
                                 address_text(entry.end()), other.name, address_text(other.offset),
                                 address_text(other.end()), entry_location(other, *furthest)),
                     fmt::format("move it to {} or later, or make '{}' smaller",
                                 address_text(align_up(other.end(), alignment)), other.name));
      }
    }
    if (!furthest || entry.end() > table.entries[*furthest].end()) furthest = index;
  }
}

// otadata and tee_ota: at most one, of exactly 0x2000 bytes.
void check_ota_data(ProblemList& problems, const PartitionTable& table, std::uint8_t subtype, std::string_view what) {
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    const auto& entry = table.entries[i];
    if (entry.type != kPartitionTypeData || entry.subtype != subtype) continue;
    if (first) {
      problems.add(i, fmt::format("multiple_{}", what),
                   fmt::format("is a second {} partition (data/{}); the first is '{}' ({})", what,
                               subtype_text(entry.type, subtype), table.entries[*first].name,
                               entry_location(table.entries[*first], *first)),
                   fmt::format("keep one {} partition", what));
    } else {
      first = i;
    }
    if (entry.size != kOtadataSize) {
      problems.add(i, fmt::format("{}_size", what),
                   fmt::format("is an {} partition of size {}; it must be exactly {}", what, address_text(entry.size),
                               address_text(kOtadataSize)),
                   fmt::format("set its size to {} (8K)", address_text(kOtadataSize)));
    }
  }
}

}  // namespace

std::optional<BadInputError> flash_size_problem(const PartitionTable& table, std::uint64_t flash_size) {
  const std::uint64_t end = table.flash_end();
  if (end <= flash_size) return std::nullopt;
  std::size_t last = 0;
  for (std::size_t i = 0; i < table.entries.size(); ++i)
    if (table.entries[i].end() == end) last = i;
  const auto& entry = table.entries[last];
  return BadInputError("partition_table.flash_too_small",
                       fmt::format("the partitions end at {} ({}, '{}' on {}), beyond the {} flash ({} bytes)",
                                   address_text(end), size_text(end), entry.name, entry_location(entry, last),
                                   size_text(flash_size), address_text(flash_size)),
                       "choose the module's real flash size (--flash-size), or shrink or remove partitions at the end");
}

std::vector<BadInputError> find_partition_problems(const PartitionTable& table, const PartitionVerifyOptions& options) {
  ProblemList problems(table);
  for (std::size_t i = 0; i < table.entries.size(); ++i) check_entry(problems, table.entries[i], i);
  check_unique_names(problems, table);
  check_placement(problems, table, options);
  check_ota_data(problems, table, kDataSubtypeOta, "otadata");
  check_ota_data(problems, table, kDataSubtypeTeeOta, "tee_ota");
  if (options.flash_size) {
    if (auto problem = flash_size_problem(table, *options.flash_size)) problems.add(std::move(*problem));
  }
  return problems.take();
}

void verify_partition_table(const PartitionTable& table, const PartitionVerifyOptions& options) {
  auto problems = find_partition_problems(table, options);
  if (problems.empty()) return;
  if (problems.size() == 1) throw problems.front();
  std::string message = fmt::format("the partition table has {} problems:", problems.size());
  for (const auto& problem : problems) message += "\n  " + problem.message();
  throw BadInputError("partition_table.invalid", message, problems.front().hint());
}

}  // namespace espfab::image
