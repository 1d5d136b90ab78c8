#include "image/nvs_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

enum class SlotState { Empty, Written, Erased };

SlotState slot_state(ByteView page, std::size_t slot) {
  const std::size_t bit = slot * 2;
  const unsigned bits = (static_cast<unsigned>(page[kNvsBitmapOffset + bit / 8]) >> (bit % 8)) & 3u;
  if (bits == 3) return SlotState::Empty;
  if (bits == 2) return SlotState::Written;
  return SlotState::Erased;  // 00 (and the undefined 01)
}

std::uint32_t entry_crc(ByteView entry) {
  std::array<std::uint8_t, 28> covered{};
  std::copy(entry.begin(), entry.begin() + 4, covered.begin());
  std::copy(entry.begin() + 8, entry.begin() + 32, covered.begin() + 4);
  return crc32_esp(covered);
}

std::string key_of(ByteView entry) {
  const ByteView raw = entry.subspan(8, 16);
  const auto end = std::find(raw.begin(), raw.end(), 0);
  return std::string(raw.begin(), end);
}

void check_size(ByteView partition) {
  if (partition.empty() || partition.size() % kNvsPageSize != 0) {
    throw BadInputError(
        "nvs.bad_size",
        fmt::format("an NVS partition is a whole number of 4096-byte pages; this one has {} bytes", partition.size()),
        "give the whole partition as read from flash or written by 'espfab nvs generate'");
  }
}

// A raw entry while reading; blob chunks wait for their index.
struct Chunk {
  std::uint8_t ns = 0;
  std::string key;
  std::uint8_t index = 0;
  std::size_t page = 0;
  std::size_t slot = 0;
  bool crc_valid = true;
  Bytes data;
  bool used = false;
};

}  // namespace

std::int64_t NvsValue::as_signed() const {
  const std::size_t bits = 8 * nvs_integer_size(static_cast<std::uint8_t>(type));
  if (bits == 0 || bits == 64) return static_cast<std::int64_t>(integer_bits);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((integer_bits ^ sign) - sign);
}

const NvsValue* NvsPartitionContents::find(std::string_view namespace_name, std::string_view key) const noexcept {
  for (const auto& value : values) {
    if (value.namespace_name == namespace_name && value.key == key) return &value;
  }
  return nullptr;
}

SecretBytes decrypt_nvs_partition(ByteView partition, const NvsKeys& keys) {
  check_size(partition);
  SecretBytes plain(partition);
  NvsSlotCipher cipher(keys, crypto::XtsAes::Direction::Decrypt);
  for (std::size_t base = 0; base < plain.size(); base += kNvsPageSize) {
    const ByteView page = plain.view().subspan(base, kNvsPageSize);
    if (load_le32(page, 0) == kNvsPageEmpty) continue;
    for (std::size_t slot = 0; slot < kNvsEntriesPerPage; ++slot) {
      if (slot_state(page, slot) == SlotState::Empty) continue;
      const std::size_t address = base + kNvsFirstEntryOffset + slot * kNvsEntrySize;
      const std::span<std::uint8_t> bytes = plain.mutable_view().subspan(address, kNvsEntrySize);
      cipher.process(address, bytes, bytes);
    }
  }
  return plain;
}

namespace {

// Reads a (plain) partition page by page into `contents`; blob chunks wait for their index
// entry and are joined at the end. Every inconsistency becomes a line in contents.problems.
class PartitionReader {
 public:
  void read_page(ByteView page, std::size_t p);
  void join_blobs();
  NvsPartitionContents finish(bool had_keys);

 private:
  struct PendingIndex {
    std::size_t value;  // position in contents_.values
    std::uint32_t size;
    std::uint8_t count;
    std::uint8_t start;
  };

  // One written entry at `slot`; returns the number of slots it spans (1 for a bad entry).
  std::size_t read_entry(ByteView page, std::size_t p, std::size_t slot);
  // A string or blob entry whose data follows in the next span-1 slots.
  void read_variable(ByteView page, ByteView entry, std::size_t p, std::size_t slot, std::size_t span);
  NvsValue value_at(ByteView entry, NvsType type, std::size_t p, std::size_t slot) const;

  NvsPartitionContents contents_;
  std::map<std::uint8_t, std::string> names_;
  std::vector<Chunk> chunks_;
  std::vector<PendingIndex> indexes_;
  std::size_t bad_entry_crcs_ = 0;
};

void PartitionReader::read_page(ByteView page, std::size_t p) {
  NvsPageInfo info;
  info.index = p;
  info.state = load_le32(page, 0);
  if (info.state == kNvsPageEmpty) {
    if (!std::all_of(page.begin(), page.end(), [](std::uint8_t b) { return b == 0xFF; })) {
      contents_.problems.push_back(fmt::format("page {}: uninitialised (state 0xFFFFFFFF) but not erased", p));
    }
    return;
  }
  info.sequence = load_le32(page, 4);
  info.version = page[8];
  info.header_crc_valid = load_le32(page, 28) == crc32_esp(page.subspan(4, 24));
  if (!info.header_crc_valid) contents_.problems.push_back(fmt::format("page {}: header CRC is wrong", p));
  if (info.state != kNvsPageActive && info.state != kNvsPageFull && info.state != kNvsPageFreeing) {
    contents_.problems.push_back(fmt::format("page {}: state 0x{:08x} is not ACTIVE, FULL or FREEING", p, info.state));
    contents_.pages.push_back(info);
    return;
  }
  for (std::size_t slot = 0; slot < kNvsEntriesPerPage; ++slot) {
    if (slot_state(page, slot) != SlotState::Empty) ++info.entries_used;
  }
  std::size_t slot = 0;
  while (slot < kNvsEntriesPerPage) {
    slot += slot_state(page, slot) == SlotState::Written ? read_entry(page, p, slot) : 1;
  }
  contents_.pages.push_back(info);
}

NvsValue PartitionReader::value_at(ByteView entry, NvsType type, std::size_t p, std::size_t slot) const {
  NvsValue value;
  value.namespace_index = entry[0];
  value.key = key_of(entry);
  value.type = type;
  value.page = p;
  value.slot = slot;
  return value;
}

std::size_t PartitionReader::read_entry(ByteView page, std::size_t p, std::size_t slot) {
  const ByteView entry = page.subspan(kNvsFirstEntryOffset + slot * kNvsEntrySize, kNvsEntrySize);
  const std::uint8_t ns = entry[0];
  const std::uint8_t type = entry[1];
  const std::size_t span = entry[2];
  const std::string key = key_of(entry);
  if (load_le32(entry, 4) != entry_crc(entry)) {
    ++bad_entry_crcs_;
    contents_.problems.push_back(fmt::format("page {} slot {}: entry CRC is wrong", p, slot));
    return 1;
  }
  if (span == 0 || slot + span > kNvsEntriesPerPage) {
    contents_.problems.push_back(
        fmt::format("page {} slot {}: key '{}' has span {}, past the page end", p, slot, key, span));
    return 1;
  }
  const auto type_enum = static_cast<NvsType>(type);
  if (ns == 0 && type_enum == NvsType::U8) {
    names_[entry[24]] = key;
    contents_.namespaces.push_back({entry[24], key});
  } else if (nvs_type_is_integer(type)) {
    NvsValue value = value_at(entry, type_enum, p, slot);
    const std::size_t width = nvs_integer_size(type);
    for (std::size_t i = 0; i < width; ++i) value.integer_bits |= std::uint64_t{entry[24 + i]} << (8 * i);
    contents_.values.push_back(std::move(value));
  } else if (type_enum == NvsType::String || type_enum == NvsType::BlobV1 || type_enum == NvsType::BlobData) {
    read_variable(page, entry, p, slot, span);
  } else if (type_enum == NvsType::BlobIndex) {
    indexes_.push_back({contents_.values.size(), load_le32(entry, 24), entry[28], entry[29]});
    contents_.values.push_back(value_at(entry, NvsType::BlobIndex, p, slot));
  } else {
    contents_.problems.push_back(
        fmt::format("page {} slot {}: key '{}' has unknown type 0x{:02x}", p, slot, key, type));
  }
  return span;
}

void PartitionReader::read_variable(ByteView page, ByteView entry, std::size_t p, std::size_t slot, std::size_t span) {
  const auto type = static_cast<NvsType>(entry[1]);
  const std::string key = key_of(entry);
  const std::size_t size = load_le16(entry, 24);
  const std::size_t room = (span - 1) * kNvsEntrySize;
  if (size > room) {
    contents_.problems.push_back(
        fmt::format("page {} slot {}: key '{}' claims {} bytes in {} slots", p, slot, key, size, span - 1));
    return;
  }
  const ByteView data = page.subspan(kNvsFirstEntryOffset + (slot + 1) * kNvsEntrySize, size);
  const bool data_ok = load_le32(entry, 28) == crc32_esp(data);
  if (!data_ok)
    contents_.problems.push_back(fmt::format("page {} slot {}: data CRC of key '{}' is wrong", p, slot, key));
  if (type == NvsType::BlobData) {
    chunks_.push_back({entry[0], key, entry[3], p, slot, data_ok, Bytes(data.begin(), data.end()), false});
    return;
  }
  NvsValue value = value_at(entry, type, p, slot);
  ByteView stored = data;
  if (type == NvsType::String && !stored.empty() && stored.back() == 0) stored = stored.first(stored.size() - 1);
  value.data = SecretBytes(stored);
  value.crc_valid = data_ok;
  contents_.values.push_back(std::move(value));
}

// Join v2 blobs: chunks start..start+count-1 of the same namespace and key, in order.
void PartitionReader::join_blobs() {
  for (const auto& index : indexes_) {
    NvsValue& value = contents_.values[index.value];
    Bytes joined;
    for (std::size_t i = 0; i < index.count; ++i) {
      const auto chunk = std::find_if(chunks_.begin(), chunks_.end(), [&](const Chunk& c) {
        return !c.used && c.ns == value.namespace_index && c.key == value.key && c.index == index.start + i;
      });
      if (chunk == chunks_.end()) {
        value.crc_valid = false;
        contents_.problems.push_back(
            fmt::format("blob '{}': chunk {} of {} is missing", value.key, index.start + i, index.count));
        continue;
      }
      chunk->used = true;
      value.crc_valid = value.crc_valid && chunk->crc_valid;
      joined.insert(joined.end(), chunk->data.begin(), chunk->data.end());
      secure_wipe(chunk->data.data(), chunk->data.size());
    }
    if (joined.size() != index.size) {
      value.crc_valid = false;
      contents_.problems.push_back(
          fmt::format("blob '{}': chunks hold {} bytes, its index says {}", value.key, joined.size(), index.size));
    }
    value.data = SecretBytes(std::move(joined));
  }
  for (auto& chunk : chunks_) {
    if (!chunk.used) {
      contents_.problems.push_back(fmt::format("page {} slot {}: blob chunk {} of key '{}' has no index entry",
                                               chunk.page, chunk.slot, chunk.index, chunk.key));
      secure_wipe(chunk.data.data(), chunk.data.size());
    }
  }
}

NvsPartitionContents PartitionReader::finish(bool had_keys) {
  for (auto& value : contents_.values) {
    if (const auto found = names_.find(value.namespace_index); found != names_.end())
      value.namespace_name = found->second;
  }
  if (!had_keys && bad_entry_crcs_ > 0 && contents_.values.empty() && contents_.namespaces.empty()) {
    contents_.problems.push_back("no entry has a valid CRC: the partition is probably encrypted; give its nvs_keys");
  }
  return std::move(contents_);
}

}  // namespace

NvsPartitionContents read_nvs_partition(ByteView partition, const NvsKeys* keys) {
  check_size(partition);
  SecretBytes decrypted;
  if (keys != nullptr) {
    decrypted = decrypt_nvs_partition(partition, *keys);
    partition = decrypted.view();
  }
  PartitionReader reader;
  for (std::size_t p = 0; p < partition.size() / kNvsPageSize; ++p) {
    reader.read_page(partition.subspan(p * kNvsPageSize, kNvsPageSize), p);
  }
  reader.join_blobs();
  return reader.finish(keys != nullptr);
}

}  // namespace espfab::image
