#include "image/flash_params.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::image {

namespace {

std::string valid_names(std::span<const chip::NamedCode> table) {
  std::string names;
  for (const auto& entry : table) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names + " or keep";
}

std::optional<std::uint8_t> lookup(std::span<const chip::NamedCode> table, const std::string& value, const char* what,
                                   const chip::ChipDescription& chip) {
  if (value.empty() || value == "keep") return std::nullopt;
  for (const auto& entry : table)
    if (entry.name == value) return entry.code;
  throw BadInputError(fmt::format("image.bad_flash_{}", what),
                      fmt::format("'{}' is not a valid flash {} for {}", value, what, chip.name),
                      fmt::format("use one of {}", valid_names(table)));
}

}  // namespace

FlashParams parse_flash_params(const chip::ChipDescription& chip, const std::string& mode, const std::string& frequency,
                               const std::string& size) {
  return FlashParams{
      .mode = lookup(chip.flash_modes, mode, "mode", chip),
      .size_code = lookup(chip.flash_sizes, size, "size", chip),
      .frequency = lookup(chip.flash_frequencies, frequency, "frequency", chip),
  };
}

std::pair<std::uint8_t, std::uint8_t> apply_flash_params(const FlashParams& params, std::uint8_t mode_byte,
                                                         std::uint8_t size_freq_byte) {
  const std::uint8_t mode = params.mode.value_or(mode_byte);
  const std::uint8_t size = params.size_code.value_or(static_cast<std::uint8_t>(size_freq_byte & 0xF0));
  const std::uint8_t freq = params.frequency.value_or(static_cast<std::uint8_t>(size_freq_byte & 0x0F));
  return {mode, static_cast<std::uint8_t>(size | freq)};
}

}  // namespace espfab::image
