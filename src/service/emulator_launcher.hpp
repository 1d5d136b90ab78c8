// Starts espfab-emu as a child process for the demo (the station then talks to its devices over
// rfc2217:// exactly as to a network serial server) and stops it again.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/subprocess.hpp"

namespace espfab::service {

class EmulatorLauncher {
 public:
  // Runs `program args...`, stderr to `log_file`, and waits for one JSON line per device on its
  // stdout. Throws IoError when it cannot start or exits before announcing `devices` devices.
  EmulatorLauncher(const std::filesystem::path& program, const std::vector<std::string>& args, unsigned devices,
                   const std::filesystem::path& log_file);
  // Stops espfab-emu (SIGTERM, SIGKILL if it lingers) and waits for it.
  ~EmulatorLauncher() = default;
  EmulatorLauncher(const EmulatorLauncher&) = delete;
  EmulatorLauncher& operator=(const EmulatorLauncher&) = delete;
  EmulatorLauncher(EmulatorLauncher&&) = delete;
  EmulatorLauncher& operator=(EmulatorLauncher&&) = delete;
  const std::vector<std::string>& urls() const noexcept { return urls_; }
  const std::vector<std::string>& macs() const noexcept { return macs_; }

 private:
  std::optional<Subprocess> child_;
  std::vector<std::string> urls_;
  std::vector<std::string> macs_;
};

}  // namespace espfab::service
