#include "emulator/boot_console.hpp"

#include <fmt/format.h>

namespace espfab::emulator {

void BootConsole::log(char level, std::string_view tag, std::string_view message) {
  lines_.push_back(fmt::format("{} ({}) {}: {}", level, clock_ms_, tag, message));
  clock_ms_ += 1;
}

}  // namespace espfab::emulator
