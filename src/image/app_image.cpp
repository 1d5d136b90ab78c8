#include "image/app_image.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "image/app_image_verify.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

constexpr const char* kTruncatedHint =
    "the file is cut short (interrupted download or copy, or a partial flash read); rebuild it or read the "
    "whole image again";

// Chip ids esptool knows, so a wrong-chip message can name the chip.
std::string_view known_chip_name(std::uint16_t chip_id) {
  switch (chip_id) {
    case 0: return "ESP32";
    case 2: return "ESP32-S2";
    case 5: return "ESP32-C3";
    case 9: return "ESP32-S3";
    case 12: return "ESP32-C2";
    case 13: return "ESP32-C6";
    case 16: return "ESP32-H2";
    case 18: return "ESP32-P4";
    case 20: return "ESP32-C61";
    case 23: return "ESP32-C5";
    default: return "unknown chip";
  }
}

void need(ByteView file, std::size_t offset, std::size_t count, const std::string& what) {
  if (offset > file.size() || file.size() - offset < count) {
    const std::size_t left = offset > file.size() ? 0 : file.size() - offset;
    throw BadInputError("image.truncated",
                        fmt::format("truncated image: {} needs {} bytes at offset {}, the file has {} left (file "
                                    "size {})",
                                    what, count, hex(offset), left, file.size()),
                        kTruncatedHint);
  }
}

ImageHeader parse_header(ByteView file) {
  if (file.empty()) {
    throw BadInputError("image.truncated", "the image file is empty", "pass the image file built by elf2image");
  }
  if (file[0] != kImageMagic) {
    throw BadInputError(
        "image.bad_magic",
        fmt::format("not an app image: byte 0 is {:#04x}, an image starts with {:#04x}", file[0], kImageMagic),
        "pass a plaintext app or bootloader image (elf2image output); a partition table, raw data "
        "or a flash-encrypted read-back is not an image");
  }
  need(file, 0, kImageHeaderSize, "the image header");
  ImageHeader header;
  header.magic = file[0];
  header.segment_count = file[1];
  header.flash_mode = file[2];
  header.flash_size_freq = file[3];
  header.entry_point = load_le32(file, 4);
  if (header.segment_count > kMaxSegments) {
    throw BadInputError("image.bad_segment_count",
                        fmt::format("the image header (byte 1) claims {} segments; at most {} are allowed",
                                    header.segment_count, kMaxSegments),
                        "the file is damaged or not an image; if it was built from an ELF, fix the linker script so "
                        "that adjacent sections merge");
  }
  return header;
}

ExtendedHeader parse_extended_header(ByteView file, const chip::ChipDescription& chip) {
  need(file, kImageHeaderSize, kExtendedHeaderSize, "the extended header");
  const ByteView ext = file.subspan(kImageHeaderSize, kExtendedHeaderSize);
  ExtendedHeader header;
  header.wp_pin = ext[0];
  header.drive.clk = ext[1] & 0x0F;
  header.drive.q = static_cast<std::uint8_t>(ext[1] >> 4);
  header.drive.d = ext[2] & 0x0F;
  header.drive.cs0 = static_cast<std::uint8_t>(ext[2] >> 4);
  header.drive.hd = ext[3] & 0x0F;
  header.drive.wp = static_cast<std::uint8_t>(ext[3] >> 4);
  header.chip_id = load_le16(ext, 4);
  header.min_rev = ext[6];
  header.min_chip_rev_full = load_le16(ext, 7);
  header.max_chip_rev_full = load_le16(ext, 9);
  std::copy_n(ext.begin() + 11, 4, header.reserved.begin());
  const std::uint8_t hash_flag = ext[15];
  if (hash_flag > 1) {
    throw BadInputError("image.bad_hash_flag",
                        fmt::format("extended header byte 15 (hash appended, offset 0x17) is {:#04x}; it must be 0 "
                                    "or 1",
                                    hash_flag),
                        "the file is damaged or not an app image");
  }
  header.hash_appended = hash_flag == 1;
  if (header.chip_id != chip.image_chip_id) {
    throw BadInputError("image.wrong_chip",
                        fmt::format("the image is for chip id {} ({}), not {} (chip id {})", header.chip_id,
                                    known_chip_name(header.chip_id), chip.name, chip.image_chip_id),
                        fmt::format("build the image for {} (esptool --chip {} elf2image, or espfab image build)",
                                    chip.name, chip.esptool_name));
  }
  return header;
}

void find_descriptors(AppImage& image) {
  const auto drom = std::find_if(image.segments.begin(), image.segments.end(),
                                 [](const ImageSegment& s) { return s.has_memory_type("DROM"); });
  if (drom != image.segments.end()) {
    image.app_descriptor = parse_app_descriptor(drom->data);
    return;
  }
  const auto dram = std::find_if(image.segments.begin(), image.segments.end(),
                                 [](const ImageSegment& s) { return s.has_memory_type("DRAM"); });
  if (dram != image.segments.end()) image.bootloader_descriptor = parse_bootloader_descriptor(dram->data);
}

}  // namespace

bool ImageSegment::has_memory_type(std::string_view name) const {
  return std::find(memory_types.begin(), memory_types.end(), name) != memory_types.end();
}

std::vector<std::string_view> memory_types(const chip::ChipDescription& chip, std::uint32_t address) {
  std::vector<std::string_view> names;
  for (const auto& region : chip.memory_map)
    if (region.contains(address)) names.push_back(region.name);
  return names;
}

AppImage parse_app_image(ByteView file, const chip::ChipDescription& chip) {
  AppImage image;
  image.file_size = file.size();
  image.header = parse_header(file);
  image.extended = parse_extended_header(file, chip);

  std::size_t offset = kImageHeaderSize + kExtendedHeaderSize;
  std::uint8_t checksum = kChecksumSeed;
  for (std::size_t index = 0; index < image.header.segment_count; ++index) {
    need(file, offset, kSegmentHeaderSize, fmt::format("the header of segment {}", index));
    ImageSegment segment;
    segment.header_offset = offset;
    segment.load_address = load_le32(file, offset);
    const std::uint32_t length = load_le32(file, offset + 4);
    need(file, segment.data_offset(), length,
         fmt::format("segment {} (load address {}, length {})", index, hex32(segment.load_address), hex(length)));
    const ByteView data = file.subspan(segment.data_offset(), length);
    segment.data.assign(data.begin(), data.end());
    segment.memory_types = memory_types(chip, segment.load_address);
    checksum = checksum_update(checksum, data);
    offset = segment.data_offset() + length;
    image.segments.push_back(std::move(segment));
  }

  image.checksum_offset = checksum_offset_after(offset);
  need(file, image.checksum_offset, 1, "the checksum byte");
  image.checksum = {.stored = file[image.checksum_offset], .calculated = checksum};
  image.image_size = image.checksum_offset + 1;

  if (image.extended.hash_appended) {
    need(file, image.image_size, kDigestSize, "the appended SHA-256");
    HashCheck hash;
    std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(image.image_size), kDigestSize, hash.stored.begin());
    hash.calculated = crypto::sha256(file.first(image.image_size));
    image.hash = hash;
    image.image_size += kDigestSize;
  }

  find_descriptors(image);
  image.signature_sector = find_signature_sector(file, image.image_size);
  return image;
}

}  // namespace espfab::image
