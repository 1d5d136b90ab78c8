#include "station/boot_console_check.hpp"

#include <array>
#include <charconv>

namespace espfab::station {
namespace {

// E lines from these tags mean the boot chain failed (docs/boot-behaviour.md §3.4).
constexpr std::array<std::string_view, 5> kFatalTags{
    "boot:", "esp_image:", "secure_boot_v2:", "flash_encrypt:", "flash_parts:"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::string_view after(std::string_view line, std::string_view marker) {
  const auto at = line.find(marker);
  return at == std::string_view::npos ? std::string_view{} : trim(line.substr(at + marker.size()));
}

std::optional<std::uint32_t> parse_hex(std::string_view text) {
  if (text.starts_with("0x")) text.remove_prefix(2);
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

// "key=value" from the identity line.
std::optional<std::string> field(std::string_view line, std::string_view key) {
  const std::string marker = std::string(key) + "=";
  const auto at = line.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const auto start = at + marker.size();
  const auto end = line.find(' ', start);
  return std::string(trim(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
}

}  // namespace

BootFindings read_boot_console(std::string_view console) {
  BootFindings f;
  std::size_t start = 0;
  while (start < console.size()) {
    auto end = console.find('\n', start);
    if (end == std::string_view::npos) end = console.size();
    const std::string_view line = trim(console.substr(start, end - start));
    start = end + 1;
    if (line.starts_with("ESP-ROM:esp32s3-")) f.rom_banner = true;
    if (line == "secure boot verification succeeded") f.secure_boot_verified = true;
    if (line.find("secure boot v2 is already enabled") != std::string_view::npos) f.secure_boot_already_enabled = true;
    if (line.starts_with("invalid header:") || line == "secure boot verification failed") {
      f.errors.emplace_back(line);
    }
    if (const auto text = after(line, "flash encryption is enabled ("); !text.empty()) {
      unsigned left = 0;
      std::from_chars(text.data(), text.data() + text.size(), left);
      f.plaintext_flashes_left = left;
    }
    if (const auto text = after(line, "Loaded app from partition at offset "); !text.empty()) {
      f.loaded_app_offset = parse_hex(text);
    }
    if (const auto text = after(line, "Project name:"); !text.empty()) f.project_name = std::string(text);
    if (const auto text = after(line, "App version:"); !text.empty()) f.app_version = std::string(text);
    if (line.find("Flash encryption mode is RELEASE") != std::string_view::npos) f.fe_release = true;
    if (line.find("Flash encryption mode is DEVELOPMENT") != std::string_view::npos) f.fe_release = false;
    if (line.find("espfab_identity: serial=") != std::string_view::npos) {
      f.identity_serial = field(line, "serial");
      f.identity_cert_sha256 = field(line, "cert_sha256");
    }
    if (line.find("espfab_identity: no device certificate") != std::string_view::npos) {
      f.errors.emplace_back(line);
    }
    if (line.find("Returned from app_main()") != std::string_view::npos) f.app_returned = true;
    if (line.starts_with("E (")) {
      const auto tag_at = line.find(") ");
      const std::string_view rest = tag_at == std::string_view::npos ? line : line.substr(tag_at + 2);
      for (const auto tag : kFatalTags) {
        if (rest.starts_with(tag)) f.errors.emplace_back(line);
      }
    }
  }
  return f;
}

bool boot_console_complete(std::string_view console) {
  return console.find("Returned from app_main()") != std::string_view::npos ||
         console.find("secure boot verification failed") != std::string_view::npos ||
         console.find("No bootable app partitions") != std::string_view::npos ||
         console.find("load partition table error") != std::string_view::npos ||
         (console.find("invalid header:") != std::string_view::npos &&
          console.find("invalid header:") != console.rfind("invalid header:"));
}

}  // namespace espfab::station
