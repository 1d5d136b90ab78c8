#include "cmp/logged_process.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/deadline.hpp"
#include "util/error.hpp"

namespace espfab::test {

LoggedProcess::LoggedProcess(std::vector<std::string> argv, std::filesystem::path log_file, const std::string& ready)
    : log_file_(std::move(log_file)) {
  const std::string program = argv.at(0);
  SpawnOptions options;
  options.argv = std::move(argv);
  options.out = Redirect::file(log_file_, false);
  options.err = Redirect::to_stdout();
  try {
    child_.emplace(std::move(options));
  } catch (const Error& e) {
    throw std::runtime_error(program + " did not start (is it installed? scripts/setup): " + e.what());
  }
  const Deadline deadline(std::chrono::seconds(10));
  while (log().find(ready) == std::string::npos) {
    // Up to 10 ms for it to exit: the pace of the log checks.
    if (child_->wait(Deadline(std::chrono::milliseconds(10)))) {
      child_.reset();
      throw std::runtime_error(program + " exited at start (is it installed? scripts/setup): " + log());
    }
    if (deadline.expired()) throw std::runtime_error(program + " did not start listening: " + log());
  }
}

std::string LoggedProcess::log() const {
  std::ostringstream text;
  text << std::ifstream(log_file_).rdbuf();
  return text.str();
}

}  // namespace espfab::test
