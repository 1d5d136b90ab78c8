#include "image/partition_binary.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

constexpr std::size_t kMd5Offset = 16;  // the digest is the second half of the MD5 entry

void write_entry(Bytes& out, const PartitionEntry& entry, std::size_t index) {
  if (entry.name.size() > kPartitionNameSize) {
    throw BadInputError("partition_table.name_too_long",
                        fmt::format("{}: partition name '{}' has {} bytes; the binary holds at most {}",
                                    entry_location(entry, index), entry.name, entry.name.size(), kPartitionNameSize),
                        "shorten the name to 16 characters or fewer");
  }
  if (entry.name.find('\0') != std::string::npos) {
    throw BadInputError("partition_table.bad_name",
                        fmt::format("{}: partition name contains a NUL byte", entry_location(entry, index)),
                        "use letters, digits and '_' in partition names");
  }
  out.insert(out.end(), kPartitionEntryMagic.begin(), kPartitionEntryMagic.end());
  out.push_back(entry.type);
  out.push_back(entry.subtype);
  append_le32(out, entry.offset);
  append_le32(out, entry.size);
  out.insert(out.end(), entry.name.begin(), entry.name.end());
  out.insert(out.end(), kPartitionNameSize - entry.name.size(), 0x00);
  append_le32(out, (entry.encrypted ? kPartitionFlagEncrypted : 0u) | (entry.readonly ? kPartitionFlagReadonly : 0u));
}

PartitionEntry read_entry(ByteView bytes) {
  PartitionEntry entry;
  entry.type = bytes[2];
  entry.subtype = bytes[3];
  entry.offset = load_le32(bytes, 4);
  entry.size = load_le32(bytes, 8);
  const ByteView name = bytes.subspan(12, kPartitionNameSize);
  const auto name_end = std::find(name.begin(), name.end(), std::uint8_t{0});
  entry.name.assign(name.begin(), name_end);
  const std::uint32_t flags = load_le32(bytes, 28);
  // Other flag bits are ignored, as ESP-IDF's tools do.
  entry.encrypted = (flags & kPartitionFlagEncrypted) != 0;
  entry.readonly = (flags & kPartitionFlagReadonly) != 0;
  return entry;
}

bool starts_with(ByteView bytes, const std::array<std::uint8_t, 2>& magic) {
  return bytes.size() >= 2 && bytes[0] == magic[0] && bytes[1] == magic[1];
}

}  // namespace

Bytes write_partition_binary(const PartitionTable& table, bool with_md5) {
  Bytes out;
  out.reserve(kPartitionTableMaxLength);
  for (std::size_t i = 0; i < table.entries.size(); ++i) write_entry(out, table.entries[i], i);
  if (with_md5) {
    const auto digest = crypto::md5(out);
    out.insert(out.end(), kPartitionMd5Magic.begin(), kPartitionMd5Magic.end());
    out.insert(out.end(), kMd5Offset - kPartitionMd5Magic.size(), 0xFF);
    out.insert(out.end(), digest.begin(), digest.end());
  }
  if (out.size() >= kPartitionTableMaxLength) {
    const std::size_t limit = kPartitionTableMaxLength / kPartitionEntrySize - 1 - (with_md5 ? 1 : 0);
    throw BadInputError(
        "partition_table.too_many_entries",
        fmt::format("{} partitions{} take {} bytes; a table must stay below {} bytes", table.entries.size(),
                    with_md5 ? " and the MD5 entry" : "", out.size(), address_text(kPartitionTableMaxLength)),
        fmt::format("use at most {} partitions{}", limit, with_md5 ? " (95 with --disable-md5)" : ""));
  }
  out.resize(kPartitionTableMaxLength, 0xFF);
  return out;
}

PartitionTable read_partition_binary(ByteView data, bool check_md5) {
  PartitionTable table;
  Bytes covered;  // entry bytes so far, for the MD5 entry
  const std::size_t scan = std::min(data.size(), kPartitionTableMaxLength);
  for (std::size_t offset = 0; offset < scan; offset += kPartitionEntrySize) {
    const std::size_t index = offset / kPartitionEntrySize;
    if (data.size() - offset < kPartitionEntrySize) {
      throw BadInputError("partition_table.truncated",
                          fmt::format("the binary ends inside entry {} (offset {}, {} of 32 bytes)", index + 1,
                                      address_text(offset), data.size() - offset),
                          "the file is cut short; write it again from its CSV");
    }
    const ByteView bytes = data.subspan(offset, kPartitionEntrySize);
    if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0xFF; })) return table;
    if (check_md5 && starts_with(bytes, kPartitionMd5Magic)) {
      const auto digest = crypto::md5(covered);
      const ByteView stored = bytes.subspan(kMd5Offset);
      if (!std::equal(stored.begin(), stored.end(), digest.begin())) {
        throw BadInputError("partition_table.bad_md5",
                            fmt::format("entry {} (MD5): the table's MD5 is {}, the MD5 entry says {}", index + 1,
                                        to_hex(digest), to_hex(stored)),
                            "the table was changed or damaged after it was written; write it again from its CSV");
      }
      continue;
    }
    if (!starts_with(bytes, kPartitionEntryMagic)) {
      throw BadInputError("partition_table.bad_entry_magic",
                          fmt::format("entry {} at offset {} starts with {}, not the entry magic aa50", index + 1,
                                      address_text(offset), to_hex(bytes.first(2))),
                          starts_with(bytes, kPartitionMd5Magic)
                              ? "this is the MD5 entry; read the table with its MD5 check on"
                              : "this is not a partition table, or it is damaged");
    }
    covered.insert(covered.end(), bytes.begin(), bytes.end());
    table.entries.push_back(read_entry(bytes));
  }
  throw BadInputError("partition_table.no_end_marker",
                      fmt::format("no end marker (32 bytes of 0xFF) after {} entries within the first {} bytes",
                                  table.entries.size(), address_text(std::min(data.size(), kPartitionTableMaxLength))),
                      "the table is cut short or damaged; write it again from its CSV");
}

bool looks_like_partition_binary(ByteView data) {
  if (data.empty()) return false;
  return starts_with(data, kPartitionEntryMagic) || starts_with(data, kPartitionMd5Magic) || data[0] == 0xFF;
}

}  // namespace espfab::image
