// The console text of a boot as a list of lines (docs/boot-behaviour.md §3.1): ROM lines
// without prefix, ESP-IDF log lines as `<L> (<ms>) <tag>: <message>` (no colours: the v5.4+
// default). The millisecond stamp is a made-up monotonic clock; the spec says never to parse it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::emulator {

class BootConsole {
 public:
  void rom(std::string line) { lines_.push_back(std::move(line)); }
  void info(std::string_view tag, std::string_view message) { log('I', tag, message); }
  void warn(std::string_view tag, std::string_view message) { log('W', tag, message); }
  void error(std::string_view tag, std::string_view message) { log('E', tag, message); }
  // Moves the clock on (the ROM's load time before the 2nd stage starts, the app's start-up).
  void advance_ms(std::uint32_t ms) { clock_ms_ += ms; }

  const std::vector<std::string>& lines() const noexcept { return lines_; }
  std::vector<std::string> take_lines() { return std::move(lines_); }

 private:
  void log(char level, std::string_view tag, std::string_view message);

  std::vector<std::string> lines_;
  std::uint32_t clock_ms_ = 0;
};

}  // namespace espfab::emulator
