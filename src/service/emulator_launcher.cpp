#include "service/emulator_launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"

extern char** environ;

namespace espfab::service {

EmulatorLauncher::EmulatorLauncher(const std::filesystem::path& program, const std::vector<std::string>& args,
                                   unsigned devices, const std::filesystem::path& log_file) {
  if (!std::filesystem::exists(program)) {
    throw IoError("service.no_emulator", fmt::format("espfab-emu not found at {}", program.string()),
                  "build it (cmake --build build/release --target espfab-emu) or pass --emulator PATH");
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw IoError("service.pipe", "cannot create a pipe for espfab-emu");
  const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<std::string> all{program.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (log >= 0) posix_spawn_file_actions_adddup2(&actions, log, 2);
  const int spawned = ::posix_spawn(&pid_, all[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (log >= 0) ::close(log);
  if (spawned != 0) {
    ::close(out[0]);
    pid_ = -1;
    throw IoError("service.emulator_start", fmt::format("cannot start {}", program.string()));
  }
  std::string line;
  char c = 0;
  pollfd wait{out[0], POLLIN, 0};
  while (urls_.size() < devices && ::poll(&wait, 1, 20000) > 0 && ::read(out[0], &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    const auto device = nlohmann::json::parse(line, nullptr, false);
    if (device.is_object() && device.contains("url")) {
      urls_.push_back(device["url"].get<std::string>());
      macs_.push_back(device.value("mac", ""));
    }
    line.clear();
  }
  ::close(out[0]);
  if (urls_.size() < devices) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw IoError("service.emulator_start",
                  fmt::format("espfab-emu announced {} of {} devices before it stopped", urls_.size(), devices),
                  fmt::format("see {}", log_file.string()));
  }
}

EmulatorLauncher::~EmulatorLauncher() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace espfab::service
