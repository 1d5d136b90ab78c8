#include "image_info_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace espfab::cli {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string join(const std::vector<std::string_view>& names, std::string_view separator) {
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += separator;
    out += name;
  }
  return out;
}

void title(std::string& out, const std::string& text) { out += text + "\n" + std::string(text.size(), '=') + "\n"; }

std::string revision(std::uint16_t full) { return fmt::format("v{}.{}", full / 100, full % 100); }

void header_section(std::string& out, const image::AppImage& image, const chip::ChipDescription& chip) {
  const auto& h = image.header;
  title(out, upper(chip.esptool_name) + " image header");
  out += "Image version: 1\n";
  out += h.entry_point != 0 ? fmt::format("Entry point: {:#8x}\n", h.entry_point) : "Entry point not set\n";
  out += fmt::format("Segments: {}\n", image.segments.size());
  const auto size = chip.flash_size_name(h.flash_size_code());
  out += !size.empty() ? fmt::format("Flash size: {}\n", size)
                       : fmt::format("WARNING: Invalid flash size ({:#02x})\n", h.flash_size_code());
  const auto freq = chip.flash_frequency_name(h.flash_frequency_code());
  out += !freq.empty() ? fmt::format("Flash freq: {}\n", freq)
                       : fmt::format("WARNING: Invalid flash frequency ({:#02x})\n", h.flash_frequency_code());
  const auto mode = chip.flash_mode_name(h.flash_mode);
  out += !mode.empty() ? fmt::format("Flash mode: {}\n", upper(mode))
                       : fmt::format("WARNING: Invalid flash mode ({})\n", h.flash_mode);
  out += "\n";
}

void extended_section(std::string& out, const image::AppImage& image, const chip::ChipDescription& chip) {
  const auto& e = image.extended;
  title(out, upper(chip.esptool_name) + " extended image header");
  out += fmt::format("WP pin: {:#02x}{}\n", e.wp_pin, e.wp_pin == image::kWpPinDisabled ? " (disabled)" : "");
  out += fmt::format(
      "Flash pins drive settings: clk_drv: {:#02x}, q_drv: {:#02x}, d_drv: {:#02x}, cs0_drv: {:#02x}, hd_drv: "
      "{:#02x}, wp_drv: {:#02x}\n",
      e.drive.clk, e.drive.q, e.drive.d, e.drive.cs0, e.drive.hd, e.drive.wp);
  out += fmt::format("Chip ID: {} ({})\n", e.chip_id, chip.name);
  out += fmt::format("Minimal chip revision: {}, (legacy min_rev = {})\n", revision(e.min_chip_rev_full), e.min_rev);
  out += fmt::format("Maximal chip revision: {}\n", revision(e.max_chip_rev_full));
  out += "\n";
}

void segments_section(std::string& out, const image::AppImage& image) {
  title(out, "Segments information");
  out += fmt::format("{:>7}  {:>7}  {:>10}  {:>10}  {:10}\n", "Segment", "Length", "Load addr", "File offs",
                     "Memory types");
  out += fmt::format("{}  {}  {}  {}  {}\n", std::string(7, '-'), std::string(7, '-'), std::string(10, '-'),
                     std::string(10, '-'), std::string(12, '-'));
  for (std::size_t i = 0; i < image.segments.size(); ++i) {
    const auto& s = image.segments[i];
    out += fmt::format("{:7}  {:#07x}  {:#010x}  {:#010x}  {}\n", i, s.data.size(), s.load_address, s.header_offset,
                       join(s.memory_types, ", "));
  }
  out += "\n";
}

void footer_section(std::string& out, const image::AppImage& image, const chip::ChipDescription& chip) {
  title(out, upper(chip.esptool_name) + " image footer");
  const auto& c = image.checksum;
  out += fmt::format("Checksum: {:#02x} ({})\n", c.stored,
                     c.valid() ? std::string("valid") : fmt::format("invalid - calculated {:02x}", c.calculated));
  if (image.hash) {
    out += fmt::format("Validation hash: {} ({})\n", to_hex(image.hash->calculated),
                       image.hash->valid() ? "valid" : "invalid");
  }
}

void descriptor_sections(std::string& out, const image::AppImage& image) {
  if (const auto& d = image.app_descriptor) {
    out += "\n";
    title(out, "Application information");
    out += fmt::format("Project name: {}\n", d->project_name);
    out += fmt::format("App version: {}\n", d->version);
    out += fmt::format("Compile time: {} {}\n", d->date, d->time);
    out += fmt::format("ELF file SHA256: {}\n", to_hex(d->app_elf_sha256));
    out += fmt::format("ESP-IDF: {}\n", d->idf_version);
    out += fmt::format("Secure version: {}\n", d->secure_version);
  } else if (const auto& b = image.bootloader_descriptor) {
    out += "\n";
    title(out, "Bootloader information");
    out += fmt::format("Bootloader version: {}\n", b->version);
    out += fmt::format("ESP-IDF: {}\n", b->idf_version);
    out += fmt::format("Compile time: {}\n", b->date_time);
  }
}

std::string_view block_scheme(std::uint8_t version) {
  switch (version) {
    case image::kSignatureVersionRsa: return "RSA-3072";
    case image::kSignatureVersionEcdsa: return "ECDSA";
    default: return "unknown version";
  }
}

void signature_section(std::string& out, const image::AppImage& image) {
  if (!image.signature_sector) return;
  const auto& sector = *image.signature_sector;
  out += "\n";
  title(out, "Secure Boot V2 signature sector");
  out += fmt::format("Sector offset: {:#x} (signed data SHA-256: {})\n", sector.offset, to_hex(sector.signed_digest));
  out += fmt::format("Signature blocks: {} ({} valid)\n", sector.blocks.size(), sector.valid_block_count());
  for (const auto& block : sector.blocks) {
    out += fmt::format(
        "Block {}: {} (version {}), CRC {}, image digest {}\n", block.index, block_scheme(block.version), block.version,
        block.crc_valid()
            ? std::string("valid")
            : fmt::format("invalid - stored {:08x}, calculated {:08x}", block.stored_crc, block.calculated_crc),
        block.image_digest_matches ? "matches" : "does not match");
    if (block.key_digest) out += fmt::format("  Public key digest: {}\n", to_hex(*block.key_digest));
  }
}

nlohmann::json name_or_null(std::string_view name) {
  return name.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(name));
}

}  // namespace

std::string format_image_info_text(const image::AppImage& image, const chip::ChipDescription& chip) {
  std::string out = fmt::format("File size: {} (bytes)\n\n", image.file_size);
  header_section(out, image, chip);
  extended_section(out, image, chip);
  segments_section(out, image);
  footer_section(out, image, chip);
  descriptor_sections(out, image);
  signature_section(out, image);
  return out;
}

nlohmann::json image_info_json(const image::AppImage& image, const chip::ChipDescription& chip) {
  const auto& h = image.header;
  const auto& e = image.extended;
  nlohmann::json json;
  json["file_size"] = image.file_size;
  json["image_size"] = image.image_size;
  json["valid"] = image.valid();
  json["header"] = {{"segment_count", h.segment_count},
                    {"entry_point", h.entry_point},
                    {"flash_mode", name_or_null(chip.flash_mode_name(h.flash_mode))},
                    {"flash_mode_code", h.flash_mode},
                    {"flash_size", name_or_null(chip.flash_size_name(h.flash_size_code()))},
                    {"flash_size_code", h.flash_size_code() >> 4},
                    {"flash_freq", name_or_null(chip.flash_frequency_name(h.flash_frequency_code()))},
                    {"flash_freq_code", h.flash_frequency_code()}};
  json["extended_header"] = {{"wp_pin", e.wp_pin},
                             {"wp_pin_disabled", e.wp_pin == image::kWpPinDisabled},
                             {"drive",
                              {{"clk", e.drive.clk},
                               {"q", e.drive.q},
                               {"d", e.drive.d},
                               {"cs0", e.drive.cs0},
                               {"hd", e.drive.hd},
                               {"wp", e.drive.wp}}},
                             {"chip_id", e.chip_id},
                             {"chip", std::string(chip.name)},
                             {"min_rev", e.min_rev},
                             {"min_chip_rev_full", e.min_chip_rev_full},
                             {"max_chip_rev_full", e.max_chip_rev_full},
                             {"hash_appended", e.hash_appended}};
  nlohmann::json segments = nlohmann::json::array();
  for (std::size_t i = 0; i < image.segments.size(); ++i) {
    const auto& s = image.segments[i];
    nlohmann::json types = nlohmann::json::array();
    for (const auto type : s.memory_types) types.push_back(std::string(type));
    segments.push_back({{"index", i},
                        {"load_address", s.load_address},
                        {"length", s.data.size()},
                        {"file_offset", s.header_offset},
                        {"memory_types", types}});
  }
  json["segments"] = segments;
  json["checksum"] = {{"offset", image.checksum_offset},
                      {"stored", image.checksum.stored},
                      {"calculated", image.checksum.calculated},
                      {"valid", image.checksum.valid()}};
  json["hash"] = image.hash ? nlohmann::json{{"stored", to_hex(image.hash->stored)},
                                             {"calculated", to_hex(image.hash->calculated)},
                                             {"valid", image.hash->valid()}}
                            : nlohmann::json(nullptr);
  json["app_descriptor"] = nullptr;
  if (const auto& d = image.app_descriptor) {
    json["app_descriptor"] = {{"project_name", d->project_name},
                              {"version", d->version},
                              {"date", d->date},
                              {"time", d->time},
                              {"idf_version", d->idf_version},
                              {"secure_version", d->secure_version},
                              {"app_elf_sha256", to_hex(d->app_elf_sha256)},
                              {"min_efuse_blk_rev_full", d->min_efuse_blk_rev_full},
                              {"max_efuse_blk_rev_full", d->max_efuse_blk_rev_full},
                              {"mmu_page_size", d->mmu_page_size}};
  }
  json["bootloader_descriptor"] = nullptr;
  if (const auto& b = image.bootloader_descriptor) {
    json["bootloader_descriptor"] = {
        {"version", b->version}, {"idf_version", b->idf_version}, {"date_time", b->date_time}};
  }
  json["signature_sector"] = nullptr;
  if (const auto& sector = image.signature_sector) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& block : sector->blocks) {
      blocks.push_back(
          {{"index", block.index},
           {"version", block.version},
           {"valid", block.valid()},
           {"crc_valid", block.crc_valid()},
           {"stored_crc", block.stored_crc},
           {"calculated_crc", block.calculated_crc},
           {"image_digest", to_hex(block.image_digest)},
           {"image_digest_matches", block.image_digest_matches},
           {"key_digest", block.key_digest ? nlohmann::json(to_hex(*block.key_digest)) : nlohmann::json(nullptr)}});
    }
    json["signature_sector"] = {{"offset", sector->offset},
                                {"signed_sha256", to_hex(sector->signed_digest)},
                                {"valid_blocks", sector->valid_block_count()},
                                {"blocks", blocks}};
  }
  return json;
}

}  // namespace espfab::cli
