// A built espfab-emu run as a child process for e2e tests: N devices on ephemeral socket:// (or
// rfc2217://) ports, no link delays unless asked, optional state directory and extra arguments;
// stopped (SIGTERM) when destroyed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/subprocess.hpp"

namespace espfab::test {

struct EmulatorOptions {
  unsigned devices = 1;
  std::string protocol = "socket";
  std::filesystem::path state_dir;  // empty: in memory
  std::vector<std::string> extra_args;
  int first_port = 0;     // device N on first_port + N (0: ephemeral ports)
  bool realtime = false;  // the true-to-life link timing (baud, flash erase/write times)
};

class EmulatorProcess {
 public:
  EmulatorProcess() : EmulatorProcess(EmulatorOptions{}) {}
  explicit EmulatorProcess(const EmulatorOptions& options);
  ~EmulatorProcess() = default;  // the Subprocess stops and reaps it
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  // Device 0's URL, and every device's.
  const std::string& url() const { return urls_.at(0); }
  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& control() const { return control_; }
  // --protocol usb: the library a host program needs in LD_PRELOAD for DTR/RTS on the ports.
  const std::string& preload() const { return preload_; }

 private:
  std::optional<Subprocess> child_;
  std::vector<std::string> urls_;
  std::string control_;
  std::string preload_;
};

// `espfab run` arguments for `count` devices on every device of `emulator`: JSON summary, no
// rehearsal, a 20 s idle timeout so a stuck fixture cannot hang a test.
std::vector<std::string> station_run_args(const std::filesystem::path& profile, const EmulatorProcess& emulator,
                                          unsigned count);

}  // namespace espfab::test
