#include "image/image_builder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "image/app_image_verify.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

struct Segment {
  std::uint32_t address = 0;
  Bytes data;
  std::string name;
  std::uint32_t flags = 0;
};

void pad_to_word(Segment& segment) {
  if (segment.address != 0) segment.data.resize(static_cast<std::size_t>(align_up(segment.data.size(), 4)), 0);
}

// Joins each section into the one before it when it starts where that one ends, in the same
// memory types, with the same executable flag (ELF order; gaps are never filled).
std::vector<Segment> merge_adjacent(std::vector<Segment> input, const chip::ChipDescription& chip) {
  std::vector<Segment> merged;
  for (auto& segment : input) {
    if (!merged.empty()) {
      Segment& last = merged.back();
      const bool same_types = memory_types(chip, last.address) == memory_types(chip, segment.address);
      const bool contiguous = std::uint64_t{last.address} + last.data.size() == segment.address;
      const bool same_exec = (last.flags & kSegmentExecutable) == (segment.flags & kSegmentExecutable);
      if (same_types && contiguous && same_exec) {
        last.data.insert(last.data.end(), segment.data.begin(), segment.data.end());
        continue;
      }
    }
    merged.push_back(std::move(segment));
  }
  return merged;
}

void move_to_front(std::vector<Segment>& segments, std::string_view name) {
  const auto found = std::find_if(segments.begin(), segments.end(), [&](const Segment& s) { return s.name == name; });
  if (found != segments.end()) std::rotate(segments.begin(), found, found + 1);
}

class ImageWriter {
 public:
  ImageWriter(const ImageBuildOptions& options, const chip::ChipDescription& chip) : options_(options), chip_(chip) {}

  std::size_t tell() const { return out_.size(); }
  Bytes& bytes() { return out_; }
  std::uint8_t checksum() const { return checksum_; }
  std::size_t segment_count() const { return count_; }

  void write_headers() {
    out_ = {kImageMagic, 0, options_.flash_mode, options_.flash_size_freq};
    append_le32(out_, options_.entry_point);
    const auto& d = options_.drive;
    out_.push_back(options_.wp_pin);
    out_.push_back(static_cast<std::uint8_t>((d.clk & 0x0F) | ((d.q & 0x0F) << 4)));
    out_.push_back(static_cast<std::uint8_t>((d.d & 0x0F) | ((d.cs0 & 0x0F) << 4)));
    out_.push_back(static_cast<std::uint8_t>((d.hd & 0x0F) | ((d.wp & 0x0F) << 4)));
    append_le16(out_, chip_.image_chip_id);
    out_.push_back(options_.min_rev);
    append_le16(out_, options_.min_chip_rev_full);
    append_le16(out_, options_.max_chip_rev_full);
    out_.insert(out_.end(), 4, 0);
    out_.push_back(options_.append_digest ? 1 : 0);
  }

  void write_segment(std::uint32_t address, Bytes data) {
    patch_elf_sha256(data);
    append_le32(out_, address);
    append_le32(out_, static_cast<std::uint32_t>(data.size()));
    out_.insert(out_.end(), data.begin(), data.end());
    checksum_ = checksum_update(checksum_, data);
    ++count_;
  }

 private:
  // The digest goes into the segment whose header starts at or before the offset; the offset is
  // then counted from that header and must leave room for the 32 bytes (esptool's rule).
  void patch_elf_sha256(Bytes& data) {
    if (!options_.elf_sha256_offset) return;
    const std::uint64_t target = *options_.elf_sha256_offset;
    const std::uint64_t header = tell();
    if (target < header || target >= header + data.size()) return;
    const std::uint64_t from_header = target - header;
    if (from_header < kSegmentHeaderSize || from_header + kDigestSize > data.size()) {
      throw BadInputError("image.elf_sha256_offset",
                          fmt::format("the ELF SHA-256 offset {} falls on a segment boundary (segment header at {}, "
                                      "{} data bytes)",
                                      hex(target), hex(header), hex(data.size())),
                          "use the offset of the app descriptor's app_elf_sha256 field (0xb0 for ESP-IDF apps)");
    }
    const auto at = data.begin() + static_cast<std::ptrdiff_t>(from_header - kSegmentHeaderSize);
    if (!std::all_of(at, at + kDigestSize, [](std::uint8_t b) { return b == 0; })) {
      throw BadInputError("image.elf_sha256_offset",
                          fmt::format("the 32 bytes at the ELF SHA-256 offset {} are not all zero; refusing to "
                                      "overwrite them",
                                      hex(target)),
                          "check the offset: it must point at the zeroed app_elf_sha256 field");
    }
    std::copy(options_.elf_sha256.begin(), options_.elf_sha256.end(), at);
  }

  const ImageBuildOptions& options_;
  const chip::ChipDescription& chip_;
  Bytes out_;
  std::uint8_t checksum_ = kChecksumSeed;
  std::size_t count_ = 0;
};

// Data bytes a padding segment needs so that the next segment's data starts at a file offset
// congruent to its load address modulo the MMU page.
std::size_t padding_needed(std::size_t position, std::uint32_t address, std::uint32_t page) {
  constexpr std::int64_t kHeader = static_cast<std::int64_t>(kSegmentHeaderSize);
  const std::int64_t page_size = page;
  const std::int64_t align_past = static_cast<std::int64_t>(address % page) - kHeader;
  std::int64_t pad = page_size - static_cast<std::int64_t>(position % page) + align_past;
  if (pad == 0 || pad == page_size) return 0;
  pad -= kHeader;
  if (pad < 0) pad += page_size;
  return static_cast<std::size_t>(pad);
}

void check_flash_pages(const std::vector<Segment>& flash, std::uint32_t page) {
  for (std::size_t i = 1; i < flash.size(); ++i) {
    if (flash[i].address / page == flash[i - 1].address / page) {
      throw BadInputError("image.flash_segments_share_page",
                          fmt::format("segment at {} lands in the same {} KiB flash MMU page as the segment at {}",
                                      hex32(flash[i].address), page / 1024, hex32(flash[i - 1].address)),
                          "change the linker script so these sections merge into one, or move one to its own page");
    }
  }
}

}  // namespace

Bytes build_image(std::vector<SegmentInput> inputs, const ImageBuildOptions& options,
                  const chip::ChipDescription& chip) {
  std::vector<Segment> segments;
  for (auto& input : inputs) {
    Segment segment{input.address, std::move(input.data), std::move(input.name), input.flags};
    pad_to_word(segment);
    segments.push_back(std::move(segment));
  }
  segments = merge_adjacent(std::move(segments), chip);
  if (segments.size() > kMaxSegments) {
    throw BadInputError("image.too_many_segments",
                        fmt::format("{} segments after merging adjacent sections; an image holds at most {}",
                                    segments.size(), kMaxSegments),
                        "change the linker script so that more sections are adjacent and merge");
  }

  std::stable_sort(segments.begin(), segments.end(),
                   [](const Segment& a, const Segment& b) { return a.address < b.address; });
  std::vector<Segment> flash;
  std::vector<Segment> ram;
  for (auto& segment : segments)
    (chip.in_flash_map_window(segment.address) ? flash : ram).push_back(std::move(segment));
  move_to_front(flash, ".flash.appdesc");
  move_to_front(ram, ".dram0.bootdesc");
  const std::uint32_t page = chip.flash_mmu_page_size;
  check_flash_pages(flash, page);

  ImageWriter writer(options, chip);
  writer.write_headers();
  std::size_t next_flash = 0;
  std::size_t next_ram = 0;
  while (next_flash < flash.size()) {
    Segment& segment = flash[next_flash];
    const std::size_t pad = padding_needed(writer.tell(), segment.address, page);
    if (pad == 0) {
      writer.write_segment(segment.address, std::move(segment.data));
      ++next_flash;
    } else if (next_ram < ram.size() && pad > kSegmentHeaderSize) {
      // Fill the gap with the start of the next RAM segment instead of zeros.
      Segment& filler = ram[next_ram];
      const std::size_t take = std::min(pad, filler.data.size());
      Bytes piece(filler.data.begin(), filler.data.begin() + static_cast<std::ptrdiff_t>(take));
      writer.write_segment(filler.address, std::move(piece));
      filler.data.erase(filler.data.begin(), filler.data.begin() + static_cast<std::ptrdiff_t>(take));
      filler.address += static_cast<std::uint32_t>(take);
      if (filler.data.empty()) ++next_ram;
    } else {
      writer.write_segment(0, Bytes(pad, 0));
    }
  }
  for (; next_ram < ram.size(); ++next_ram) writer.write_segment(ram[next_ram].address, std::move(ram[next_ram].data));

  if (options.secure_pad_v2) {
    if (!options.append_digest) {
      throw BadInputError("image.secure_pad_needs_digest", "Secure Boot V2 padding needs the appended SHA-256",
                          "do not combine secure padding with --dont-append-digest");
    }
    constexpr std::int64_t kChecksumSpace = 16;
    const std::int64_t align_past = static_cast<std::int64_t>((writer.tell() + kSegmentHeaderSize) % page);
    const std::int64_t page_size = page;
    std::int64_t pad = (page_size - align_past - kChecksumSpace - static_cast<std::int64_t>(kDigestSize)) % page_size;
    if (pad < 0) pad += page_size;
    writer.write_segment(0, Bytes(static_cast<std::size_t>(pad), 0));
  }

  if (writer.segment_count() > kMaxSegments) {
    throw BadInputError("image.too_many_segments",
                        fmt::format("the layout needs {} segments (padding included); an image holds at most {}",
                                    writer.segment_count(), kMaxSegments),
                        "put fewer sections into separate flash pages, or merge RAM sections in the linker script");
  }

  Bytes& out = writer.bytes();
  const std::size_t checksum_at = checksum_offset_after(out.size());
  out.resize(checksum_at + 1, 0);
  out[checksum_at] = writer.checksum();
  out[1] = static_cast<std::uint8_t>(writer.segment_count());
  if (options.append_digest) {
    const auto digest = crypto::sha256(out);
    out.insert(out.end(), digest.begin(), digest.end());
  }
  if (options.pad_to_size != 0) out.resize(static_cast<std::size_t>(align_up(out.size(), options.pad_to_size)), 0xFF);
  return out;
}

}  // namespace espfab::image
