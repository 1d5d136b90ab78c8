#include "support/emulator_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "support/test_paths.hpp"

extern char** environ;

namespace espfab::test {

EmulatorProcess::EmulatorProcess(const EmulatorOptions& options) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const std::string program = (build_dir() / "apps" / "espfab-emu" / "espfab-emu").string();
  std::vector<std::string> args{program,      "--devices",      std::to_string(options.devices),
                                "--protocol", options.protocol, "--port",
                                "0",          "--realtime",     "off"};
  if (!options.state_dir.empty()) {
    args.push_back("--state-dir");
    args.push_back(options.state_dir.string());
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const int spawned = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    throw std::runtime_error("cannot start " + program);
  }
  // One JSON line per device once it is reachable.
  std::string line;
  char c = 0;
  while (urls_.size() < options.devices && ::read(out[0], &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    const auto device = nlohmann::json::parse(line);
    urls_.push_back(device.at("url").get<std::string>());
    if (device.contains("control")) control_ = device.at("control").get<std::string>();
    if (device.contains("preload")) preload_ = device.at("preload").get<std::string>();
    line.clear();
  }
  ::close(out[0]);
  if (urls_.size() < options.devices) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("espfab-emu exited before announcing its devices");
  }
}

EmulatorProcess::~EmulatorProcess() {
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace espfab::test
