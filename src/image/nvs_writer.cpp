#include "image/nvs_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

using Slot = std::array<std::uint8_t, kNvsEntrySize>;

constexpr std::size_t kMaxNamespaces = 254;
constexpr std::size_t kMaxChunks = 255;

std::string where(const NvsItem& item) { return item.line != 0 ? fmt::format("line {}: ", item.line) : ""; }

std::size_t slots_for(std::size_t bytes) { return (bytes + kNvsEntrySize - 1) / kNvsEntrySize; }

void store_entry_crc(Slot& entry) {
  std::array<std::uint8_t, 28> covered{};
  std::copy(entry.begin(), entry.begin() + 4, covered.begin());
  std::copy(entry.begin() + 8, entry.end(), covered.begin() + 4);
  store_le32(entry, 4, crc32_esp(covered));
}

class Writer {
 public:
  Writer(std::size_t size, const NvsBuildOptions& options) : version_(options.version) {
    if (size == 0 || size % kNvsPageSize != 0) {
      throw BadInputError("nvs.bad_size",
                          fmt::format("an NVS partition size must be a non-zero multiple of 4096, got {}", size),
                          "give the size of the nvs partition in the partition table (e.g. 0x6000)");
    }
    const std::size_t pages = size / kNvsPageSize;
    read_only_ = pages < kNvsMinPagesWithSpare;
    usable_pages_ = read_only_ ? pages : pages - 1;
    size_ = size;
    if (options.keys != nullptr) cipher_.emplace(*options.keys, crypto::XtsAes::Direction::Encrypt);
    out_.reserve(size);
    new_page();
  }

  void add(const NvsItem& item) {
    if (item.kind == NvsItem::Kind::Namespace) {
      add_namespace(item);
      return;
    }
    check_key(item);
    if (namespace_count_ == 0) {
      throw BadInputError("nvs.no_namespace",
                          fmt::format("{}key '{}' comes before any namespace", where(item), item.key),
                          "start the CSV with a namespace row: name,namespace,,");
    }
    switch (item.kind) {
      case NvsItem::Kind::Integer: add_integer(item); break;
      case NvsItem::Kind::String: add_single_page(item, NvsType::String, true); break;
      case NvsItem::Kind::Blob:
        if (version_ == NvsVersion::V1) {
          add_single_page(item, NvsType::BlobV1, false);
        } else {
          add_multipage_blob(item);
        }
        break;
      case NvsItem::Kind::Namespace: break;
    }
  }

  NvsBuildResult finish() && {
    NvsBuildResult result;
    result.pages_used = page_ + 1;
    if (!read_only_) out_.resize(size_, 0xFF);
    result.partition = std::move(out_);
    result.warnings = std::move(warnings_);
    return result;
  }

 private:
  std::size_t page_base() const { return page_ * kNvsPageSize; }

  void new_page() {
    if (!out_.empty()) {
      if (load_le32(out_, page_base()) == kNvsPageActive) store_le32(out_, page_base(), kNvsPageFull);
      ++page_;
    }
    if (page_ >= usable_pages_) {
      throw BadInputError(
          "nvs.too_small",
          fmt::format("the data does not fit into a {}-byte NVS partition: it needs more than the {} page{} "
                      "available{}",
                      size_, usable_pages_, usable_pages_ == 1 ? "" : "s",
                      read_only_ ? "" : " (the last page stays free as NVS's spare page)"),
          "make the nvs partition larger (a multiple of 0x1000) or store less");
    }
    out_.resize(page_base() + kNvsPageSize, 0xFF);
    const std::span<std::uint8_t> header(out_.data() + page_base(), 32);
    store_le32(header, 0, kNvsPageActive);
    store_le32(header, 4, static_cast<std::uint32_t>(page_));
    header[8] = static_cast<std::uint8_t>(version_);
    store_le32(header, 28, crc32_esp(ByteView(header).subspan(4, 24)));
    entry_ = 0;
  }

  // Writes `count` slots from `data` (shorter data is padded with 0xFF), encrypting each on its own,
  // and marks them written in the bitmap.
  void write_slots(ByteView data, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      Slot slot;
      slot.fill(0xFF);
      const std::size_t from = i * kNvsEntrySize;
      if (from < data.size()) {
        const ByteView part = data.subspan(from, std::min(kNvsEntrySize, data.size() - from));
        std::copy(part.begin(), part.end(), slot.begin());
      }
      const std::size_t address = page_base() + kNvsFirstEntryOffset + entry_ * kNvsEntrySize;
      if (cipher_) cipher_->process(address, slot, slot);
      std::copy(slot.begin(), slot.end(), out_.begin() + static_cast<std::ptrdiff_t>(address));
      const std::size_t bit = entry_ * 2;
      out_[page_base() + kNvsBitmapOffset + bit / 8] &= static_cast<std::uint8_t>(~(1u << (bit % 8)));
      secure_wipe(slot.data(), slot.size());
      ++entry_;
    }
  }

  Slot entry_header(std::uint8_t ns, NvsType type, std::size_t span, std::uint8_t chunk, const std::string& key) const {
    Slot entry;
    entry.fill(0xFF);
    entry[0] = ns;
    entry[1] = static_cast<std::uint8_t>(type);
    entry[2] = static_cast<std::uint8_t>(span);
    entry[3] = chunk;
    std::fill(entry.begin() + 8, entry.begin() + 24, 0x00);
    std::copy(key.begin(), key.end(), entry.begin() + 8);
    return entry;
  }

  void check_key(const NvsItem& item) {
    if (item.key.empty() || item.key.size() > kNvsMaxKeyLength || item.key.find('\0') != std::string::npos) {
      throw BadInputError("nvs.bad_key",
                          fmt::format("{}key '{}' must be 1 to {} characters", where(item), item.key, kNvsMaxKeyLength),
                          "shorten the key");
    }
    static constexpr std::array<std::string_view, 5> kWifiKeys = {"sta.ssid", "sta.pswd", "ap.ssid", "ap.passwd",
                                                                  "ap.authmode"};
    if (std::find(kWifiKeys.begin(), kWifiKeys.end(), item.key) != kWifiKeys.end()) {
      throw BadInputError("nvs.wifi_key",
                          fmt::format("{}key '{}' is one the ESP-IDF generator expands into Wi-Fi driver entries "
                                      "(sta.apinfo, sta.pmk, ...); espfab does not write those",
                                      where(item), item.key),
                          "use another key name, or generate this partition with nvs_partition_gen.py");
    }
  }

  void add_namespace(const NvsItem& item) {
    check_key(item);
    if (const auto found = namespaces_.find(item.key); found != namespaces_.end()) {
      if (found->second != namespace_count_) {
        const auto current = std::find_if(namespaces_.begin(), namespaces_.end(),
                                          [&](const auto& entry) { return entry.second == namespace_count_; });
        warnings_.push_back(
            fmt::format("{}namespace '{}' is opened again: like nvs_partition_gen.py, the entries after it stay in "
                        "namespace '{}' (index {}), the most recently created one",
                        where(item), item.key, current->first, namespace_count_));
      }
      return;
    }
    if (namespace_count_ >= kMaxNamespaces) {
      throw BadInputError(
          "nvs.too_many_namespaces",
          fmt::format("{}namespace '{}' is one too many: NVS holds at most {}", where(item), item.key, kMaxNamespaces),
          "use fewer namespaces");
    }
    ++namespace_count_;
    namespaces_.emplace(item.key, namespace_count_);
    if (entry_ >= kNvsEntriesPerPage) new_page();
    Slot entry = entry_header(0, NvsType::U8, 1, kNvsChunkAny, item.key);
    entry[24] = namespace_count_;
    store_entry_crc(entry);
    write_slots(entry, 1);
  }

  void add_integer(const NvsItem& item) {
    if (entry_ >= kNvsEntriesPerPage) new_page();
    Slot entry = entry_header(namespace_count_, item.type, 1, kNvsChunkAny, item.key);
    const std::size_t width = nvs_integer_size(static_cast<std::uint8_t>(item.type));
    for (std::size_t i = 0; i < width; ++i) entry[24 + i] = static_cast<std::uint8_t>(item.integer_bits >> (8 * i));
    store_entry_crc(entry);
    write_slots(entry, 1);
  }

  // A string (with its NUL) or a v1 blob: header + data slots, never across a page.
  void add_single_page(const NvsItem& item, NvsType type, bool nul) {
    Bytes value(item.data.view().begin(), item.data.view().end());
    if (nul) value.push_back(0x00);
    const std::size_t limit = version_ == NvsVersion::V2 ? kNvsMaxStringV2 : kNvsMaxBlobV1;
    const std::size_t span = 1 + slots_for(value.size());
    // The generator moves an item to a new page when it would reach the page's last slot, so an
    // item of 126 slots (3969..4000 bytes) never fits anywhere.
    if (value.size() > limit || span >= kNvsEntriesPerPage) {
      const std::size_t size = value.size();
      secure_wipe(value.data(), value.size());
      throw BadInputError("nvs.value_too_long",
                          fmt::format("{}the {} of key '{}' is {} bytes{}; at most {} fit one page", where(item),
                                      type == NvsType::String ? "string" : "blob", item.key, size,
                                      nul ? " with its NUL" : "", std::min(limit, (kNvsEntriesPerPage - 2) * 32)),
                          version_ == NvsVersion::V1 ? "use format version 2 for larger blobs, or split the value"
                                                     : "store it as a blob (hex2bin, base64 or a file)");
    }
    if (entry_ >= kNvsEntriesPerPage || entry_ + span >= kNvsEntriesPerPage) new_page();
    Slot header = entry_header(namespace_count_, type, span, kNvsChunkAny, item.key);
    store_le16(header, 24, static_cast<std::uint16_t>(value.size()));
    store_le32(header, 28, crc32_esp(value));
    store_entry_crc(header);
    write_slots(header, 1);
    write_slots(value, span - 1);
    secure_wipe(value.data(), value.size());
  }

  // Version 2 blob: data chunks that fill each page to its last slot, then the index entry.
  void add_multipage_blob(const NvsItem& item) {
    const ByteView data = item.data.view();
    if (data.size() > 0xFFFFFFFFu) {
      throw BadInputError("nvs.value_too_long", fmt::format("{}blob '{}' is larger than 4 GiB", where(item), item.key));
    }
    if (entry_ >= kNvsEntriesPerPage) new_page();
    std::size_t offset = 0;
    std::size_t chunks = 0;
    for (;;) {
      const std::size_t tailroom = (kNvsEntriesPerPage - entry_ - 1) * kNvsEntrySize;
      const std::size_t chunk_size = std::min(tailroom, data.size() - offset);
      if (chunks == kMaxChunks) {
        throw BadInputError("nvs.value_too_long",
                            fmt::format("{}blob '{}' ({} bytes) needs more than {} chunks", where(item), item.key,
                                        data.size(), kMaxChunks),
                            "store less data");
      }
      const ByteView chunk = data.subspan(offset, chunk_size);
      Slot header = entry_header(namespace_count_, NvsType::BlobData, 1 + slots_for(chunk_size),
                                 static_cast<std::uint8_t>(chunks), item.key);
      store_le16(header, 24, static_cast<std::uint16_t>(chunk_size));
      store_le32(header, 28, crc32_esp(chunk));
      store_entry_crc(header);
      write_slots(header, 1);
      write_slots(chunk, slots_for(chunk_size));
      ++chunks;
      offset += chunk_size;
      const bool more = offset < data.size();
      if (more || tailroom - chunk_size < kNvsEntrySize) new_page();
      if (!more) break;
    }
    Slot index = entry_header(namespace_count_, NvsType::BlobIndex, 1, kNvsChunkAny, item.key);
    store_le32(index, 24, static_cast<std::uint32_t>(data.size()));
    index[28] = static_cast<std::uint8_t>(chunks);
    index[29] = 0;  // chunk start
    store_entry_crc(index);
    write_slots(index, 1);
  }

  NvsVersion version_;
  bool read_only_ = false;
  std::size_t size_ = 0;
  std::size_t usable_pages_ = 0;
  std::optional<NvsSlotCipher> cipher_;
  Bytes out_;
  std::size_t page_ = 0;
  std::size_t entry_ = 0;
  std::uint8_t namespace_count_ = 0;
  std::map<std::string, std::uint8_t> namespaces_;
  std::vector<std::string> warnings_;
};

}  // namespace

NvsBuildResult build_nvs_partition(std::span<const NvsItem> items, std::size_t size, const NvsBuildOptions& options) {
  Writer writer(size, options);
  for (const auto& item : items) writer.add(item);
  return std::move(writer).finish();
}

}  // namespace espfab::image
