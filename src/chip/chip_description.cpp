#include "chip/chip_description.hpp"

#include <algorithm>
#include <charconv>

namespace espfab::chip {

namespace {

std::optional<std::uint8_t> find_code(std::span<const NamedCode> table, std::string_view name) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.code;
  return std::nullopt;
}

std::string_view find_name(std::span<const NamedCode> table, std::uint8_t code) {
  for (const auto& entry : table)
    if (entry.code == code) return entry.name;
  return {};
}

}  // namespace

std::optional<std::uint8_t> ChipDescription::flash_size_code(std::string_view size_name) const {
  return find_code(flash_sizes, size_name);
}
std::optional<std::uint8_t> ChipDescription::flash_frequency_code(std::string_view freq_name) const {
  return find_code(flash_frequencies, freq_name);
}
std::optional<std::uint8_t> ChipDescription::flash_mode_code(std::string_view mode_name) const {
  return find_code(flash_modes, mode_name);
}
std::string_view ChipDescription::flash_size_name(std::uint8_t code) const { return find_name(flash_sizes, code); }
std::string_view ChipDescription::flash_frequency_name(std::uint8_t code) const {
  return find_name(flash_frequencies, code);
}
std::string_view ChipDescription::flash_mode_name(std::uint8_t code) const { return find_name(flash_modes, code); }

std::optional<std::uint32_t> ChipDescription::flash_size_bytes(std::string_view size_name) const {
  if (!flash_size_code(size_name) || !size_name.ends_with("MB")) return std::nullopt;
  unsigned megabytes = 0;
  const auto digits = size_name.substr(0, size_name.size() - 2);
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), megabytes);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || megabytes > 4095) return std::nullopt;
  return megabytes * 1024u * 1024u;
}

bool ChipDescription::has_chip_detect_magic(std::uint32_t magic) const {
  return std::find(chip_detect_magics.begin(), chip_detect_magics.end(), magic) != chip_detect_magics.end();
}

bool ChipDescription::is_flash_mapped(std::uint32_t address) const {
  return std::any_of(memory_map.begin(), memory_map.end(), [&](const MemoryRegion& region) {
    return region.contains(address) &&
           std::find(flash_rom_regions.begin(), flash_rom_regions.end(), region.name) != flash_rom_regions.end();
  });
}

bool ChipDescription::in_flash_map_window(std::uint32_t address) const {
  return std::any_of(flash_map_windows.begin(), flash_map_windows.end(),
                     [&](const MemoryRegion& window) { return window.contains(address); });
}

}  // namespace espfab::chip
