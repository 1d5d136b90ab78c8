#include "station_cli.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <array>

namespace espfab::cli {

service::StationService station_service() { return service::StationService(std::string("espfab ") + ESPFAB_VERSION); }

std::filesystem::path default_emulator_program() {
  std::array<char, 4096> buffer{};
  const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  const std::filesystem::path self =
      n > 0 ? std::filesystem::path(std::string(buffer.data(), static_cast<std::size_t>(n)))
            : std::filesystem::path("espfab");
  const auto dir = self.parent_path();
  for (const auto& candidate : {dir / "espfab-emu", dir.parent_path() / "espfab-emu" / "espfab-emu"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return dir / "espfab-emu";
}

std::string device_table(const std::vector<station::DeviceResult>& devices) {
  std::string out = fmt::format("  {:<13} {:<18} {:<12} {:>7}  {}\n", "SERIAL", "MAC", "RESULT", "TIME", "REASON");
  for (const auto& d : devices) {
    out += fmt::format("  {:<13} {:<18} {:<12} {:>6.1f}s  {}\n", d.serial.empty() ? "-" : d.serial,
                       d.mac.empty() ? "-" : d.mac, station::to_string(d.outcome), d.seconds, d.reason);
  }
  return out;
}

}  // namespace espfab::cli
