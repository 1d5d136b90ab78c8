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

NvsPartitionContents read_nvs_partition(ByteView partition, const NvsKeys* keys) {
  check_size(partition);
  SecretBytes decrypted;
  if (keys != nullptr) {
    decrypted = decrypt_nvs_partition(partition, *keys);
    partition = decrypted.view();
  }
  NvsPartitionContents contents;
  std::map<std::uint8_t, std::string> names;
  std::vector<Chunk> chunks;
  struct PendingIndex {
    std::size_t value;  // position in contents.values
    std::uint32_t size;
    std::uint8_t count;
    std::uint8_t start;
  };
  std::vector<PendingIndex> indexes;
  std::size_t bad_entry_crcs = 0;

  for (std::size_t p = 0; p < partition.size() / kNvsPageSize; ++p) {
    const ByteView page = partition.subspan(p * kNvsPageSize, kNvsPageSize);
    NvsPageInfo info;
    info.index = p;
    info.state = load_le32(page, 0);
    if (info.state == kNvsPageEmpty) {
      if (!std::all_of(page.begin(), page.end(), [](std::uint8_t b) { return b == 0xFF; })) {
        contents.problems.push_back(fmt::format("page {}: uninitialised (state 0xFFFFFFFF) but not erased", p));
      }
      continue;
    }
    info.sequence = load_le32(page, 4);
    info.version = page[8];
    info.header_crc_valid = load_le32(page, 28) == crc32_esp(page.subspan(4, 24));
    if (!info.header_crc_valid) contents.problems.push_back(fmt::format("page {}: header CRC is wrong", p));
    if (info.state != kNvsPageActive && info.state != kNvsPageFull && info.state != kNvsPageFreeing) {
      contents.problems.push_back(fmt::format("page {}: state 0x{:08x} is not ACTIVE, FULL or FREEING", p, info.state));
      contents.pages.push_back(info);
      continue;
    }
    for (std::size_t slot = 0; slot < kNvsEntriesPerPage; ++slot) {
      if (slot_state(page, slot) != SlotState::Empty) ++info.entries_used;
    }
    std::size_t slot = 0;
    while (slot < kNvsEntriesPerPage) {
      if (slot_state(page, slot) != SlotState::Written) {
        ++slot;
        continue;
      }
      const ByteView entry = page.subspan(kNvsFirstEntryOffset + slot * kNvsEntrySize, kNvsEntrySize);
      const bool crc_ok = load_le32(entry, 4) == entry_crc(entry);
      const std::uint8_t ns = entry[0];
      const std::uint8_t type = entry[1];
      const std::size_t span = entry[2];
      const std::string key = key_of(entry);
      if (!crc_ok) {
        ++bad_entry_crcs;
        contents.problems.push_back(fmt::format("page {} slot {}: entry CRC is wrong", p, slot));
        ++slot;
        continue;
      }
      if (span == 0 || slot + span > kNvsEntriesPerPage) {
        contents.problems.push_back(
            fmt::format("page {} slot {}: key '{}' has span {}, past the page end", p, slot, key, span));
        ++slot;
        continue;
      }
      const auto type_enum = static_cast<NvsType>(type);
      if (ns == 0 && type_enum == NvsType::U8) {
        names[entry[24]] = key;
        contents.namespaces.push_back({entry[24], key});
      } else if (nvs_type_is_integer(type)) {
        NvsValue value;
        value.namespace_index = ns;
        value.key = key;
        value.type = type_enum;
        const std::size_t width = nvs_integer_size(type);
        for (std::size_t i = 0; i < width; ++i) value.integer_bits |= std::uint64_t{entry[24 + i]} << (8 * i);
        value.page = p;
        value.slot = slot;
        contents.values.push_back(std::move(value));
      } else if (type_enum == NvsType::String || type_enum == NvsType::BlobV1 || type_enum == NvsType::BlobData) {
        const std::size_t size = load_le16(entry, 24);
        const std::size_t room = (span - 1) * kNvsEntrySize;
        if (size > room) {
          contents.problems.push_back(
              fmt::format("page {} slot {}: key '{}' claims {} bytes in {} slots", p, slot, key, size, span - 1));
          slot += span;
          continue;
        }
        const ByteView data = page.subspan(kNvsFirstEntryOffset + (slot + 1) * kNvsEntrySize, size);
        const bool data_ok = load_le32(entry, 28) == crc32_esp(data);
        if (!data_ok)
          contents.problems.push_back(fmt::format("page {} slot {}: data CRC of key '{}' is wrong", p, slot, key));
        if (type_enum == NvsType::BlobData) {
          chunks.push_back({ns, key, entry[3], p, slot, data_ok, Bytes(data.begin(), data.end()), false});
        } else {
          NvsValue value;
          value.namespace_index = ns;
          value.key = key;
          value.type = type_enum;
          ByteView stored = data;
          if (type_enum == NvsType::String && !stored.empty() && stored.back() == 0)
            stored = stored.first(stored.size() - 1);
          value.data = SecretBytes(stored);
          value.page = p;
          value.slot = slot;
          value.crc_valid = data_ok;
          contents.values.push_back(std::move(value));
        }
      } else if (type_enum == NvsType::BlobIndex) {
        NvsValue value;
        value.namespace_index = ns;
        value.key = key;
        value.type = NvsType::BlobIndex;
        value.page = p;
        value.slot = slot;
        indexes.push_back({contents.values.size(), load_le32(entry, 24), entry[28], entry[29]});
        contents.values.push_back(std::move(value));
      } else {
        contents.problems.push_back(
            fmt::format("page {} slot {}: key '{}' has unknown type 0x{:02x}", p, slot, key, type));
      }
      slot += span;
    }
    contents.pages.push_back(info);
  }

  // Join v2 blobs: chunks start..start+count-1 of the same namespace and key, in order.
  for (const auto& index : indexes) {
    NvsValue& value = contents.values[index.value];
    Bytes joined;
    for (std::size_t i = 0; i < index.count; ++i) {
      const auto chunk = std::find_if(chunks.begin(), chunks.end(), [&](const Chunk& c) {
        return !c.used && c.ns == value.namespace_index && c.key == value.key && c.index == index.start + i;
      });
      if (chunk == chunks.end()) {
        value.crc_valid = false;
        contents.problems.push_back(
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
      contents.problems.push_back(
          fmt::format("blob '{}': chunks hold {} bytes, its index says {}", value.key, joined.size(), index.size));
    }
    value.data = SecretBytes(std::move(joined));
  }
  for (auto& chunk : chunks) {
    if (!chunk.used) {
      contents.problems.push_back(fmt::format("page {} slot {}: blob chunk {} of key '{}' has no index entry",
                                              chunk.page, chunk.slot, chunk.index, chunk.key));
      secure_wipe(chunk.data.data(), chunk.data.size());
    }
  }
  for (auto& value : contents.values) {
    if (const auto found = names.find(value.namespace_index); found != names.end())
      value.namespace_name = found->second;
  }
  if (keys == nullptr && bad_entry_crcs > 0 && contents.values.empty() && contents.namespaces.empty()) {
    contents.problems.push_back("no entry has a valid CRC: the partition is probably encrypted; give its nvs_keys");
  }
  return contents;
}

}  // namespace espfab::image
