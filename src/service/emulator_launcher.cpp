#include "service/emulator_launcher.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/deadline.hpp"
#include "util/error.hpp"

namespace espfab::service {

EmulatorLauncher::EmulatorLauncher(const std::filesystem::path& program, const std::vector<std::string>& args,
                                   unsigned devices, const std::filesystem::path& log_file) {
  if (!std::filesystem::exists(program)) {
    throw IoError("service.no_emulator", fmt::format("espfab-emu not found at {}", program.string()),
                  "build it (cmake --build build/release --target espfab-emu) or pass --emulator PATH");
  }
  SpawnOptions options;
  // A bare name is the file checked above, not one searched in PATH.
  options.argv = {program.has_parent_path() ? program.string() : (std::filesystem::path(".") / program).string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.out = Redirect::pipe();
  options.err = Redirect::file(log_file, false);
  // In the terminal's process group, as the demo itself: Ctrl-C stops it with us.
  options.own_process_group = false;
  try {
    child_.emplace(std::move(options));
  } catch (const IoError& e) {
    throw IoError("service.emulator_start", e.message(), fmt::format("see {}", log_file.string()));
  }
  try {
    while (urls_.size() < devices) {
      const auto line = child_->read_line(Deadline(std::chrono::seconds(20)));
      if (!line) break;
      const auto device = nlohmann::json::parse(*line, nullptr, false);
      if (device.is_object() && device.contains("url")) {
        urls_.push_back(device["url"].get<std::string>());
        macs_.push_back(device.value("mac", ""));
      }
    }
  } catch (const TimeoutError&) {
    // reported below like an early exit
  }
  child_->close_output();
  if (urls_.size() < devices) {
    child_.reset();
    throw IoError("service.emulator_start",
                  fmt::format("espfab-emu announced {} of {} devices before it stopped", urls_.size(), devices),
                  fmt::format("see {}", log_file.string()));
  }
}

}  // namespace espfab::service
