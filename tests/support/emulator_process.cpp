#include "support/emulator_process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>

#include "support/test_paths.hpp"

namespace espfab::test {

EmulatorProcess::EmulatorProcess(const EmulatorOptions& options) {
  const std::string program = (build_dir() / "apps" / "espfab-emu" / "espfab-emu").string();
  SpawnOptions spawn;
  spawn.argv = {program,
                "--devices",
                std::to_string(options.devices),
                "--protocol",
                options.protocol,
                "--port",
                std::to_string(options.first_port),
                "--realtime",
                options.realtime ? "on" : "off"};
  if (!options.state_dir.empty()) {
    spawn.argv.push_back("--state-dir");
    spawn.argv.push_back(options.state_dir.string());
  }
  spawn.argv.insert(spawn.argv.end(), options.extra_args.begin(), options.extra_args.end());
  child_.emplace(std::move(spawn));
  // One JSON line per device once it is reachable; a generous bound only against a hang.
  const Deadline deadline(std::chrono::seconds(60));
  while (urls_.size() < options.devices) {
    const auto line = child_->read_line(deadline);
    if (!line) break;
    const auto device = nlohmann::json::parse(*line);
    urls_.push_back(device.at("url").get<std::string>());
    if (device.contains("control")) control_ = device.at("control").get<std::string>();
    if (device.contains("preload")) preload_ = device.at("preload").get<std::string>();
  }
  child_->close_output();
  if (urls_.size() < options.devices) {
    child_.reset();
    throw std::runtime_error("espfab-emu exited before announcing its devices");
  }
}

std::vector<std::string> station_run_args(const std::filesystem::path& profile, const EmulatorProcess& emulator,
                                          unsigned count) {
  std::vector<std::string> args{
      "--log-level",         "error",          "run", "--profile", profile.string(), "--count",
      std::to_string(count), "--idle-timeout", "20",  "--json",    "--no-rehearsal"};
  for (const auto& url : emulator.urls()) {
    args.push_back("--port");
    args.push_back(url);
  }
  return args;
}

}  // namespace espfab::test
