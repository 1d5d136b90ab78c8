// One way to run a child program: spawned with a fixed argv (no shell), stdin from /dev/null,
// stdout and stderr to a pipe we read, a log file, /dev/null or inherited; by default in its own
// process group so that stopping it also stops what it started. Lines are read and the exit is
// waited for with a deadline (poll on the pipes and on a pidfd, never a sleep). The destructor
// stops the child (SIGTERM, then SIGKILL after a grace period) and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/deadline.hpp"
#include "util/unique_fd.hpp"

namespace espfab {

// Where a child's stdout or stderr goes.
struct Redirect {
  enum class Kind { Inherit, Pipe, File, Null, ToStdout };
  Kind kind = Kind::Inherit;
  std::filesystem::path path;  // Kind::File
  bool append = true;          // Kind::File: append, or truncate

  static Redirect inherit() { return {}; }
  static Redirect pipe() { return {Kind::Pipe, {}, true}; }
  static Redirect null() { return {Kind::Null, {}, true}; }
  static Redirect file(std::filesystem::path file_path, bool append_to_it = true) {
    return {Kind::File, std::move(file_path), append_to_it};
  }
  // stderr only: the same place as stdout.
  static Redirect to_stdout() { return {Kind::ToStdout, {}, true}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0]: a path, or a name searched in PATH
  std::vector<std::string> env;   // NAME=VALUE, added to (or replacing those of) our environment
  std::optional<std::filesystem::path> cwd;
  Redirect out = Redirect::pipe();
  Redirect err = Redirect::inherit();
  // Off only for a child that must get the terminal's Ctrl-C with us (the demo's helpers);
  // terminate() then signals the child alone.
  bool own_process_group = true;
};

// The exit code, or 128 + the signal number for a child killed by a signal (the shell's rule).
int exit_code_of(int wait_status) noexcept;

class Subprocess {
 public:
  enum class Stream { Out, Err };
  struct Output {
    std::string out;
    std::string err;
  };
  static constexpr std::chrono::milliseconds kDefaultGrace{5000};

  // Throws IoError util.spawn_failed (program not found, not executable, a redirect that cannot
  // be opened) and BadInputError util.spawn_argv (empty argv, ToStdout given for stdout).
  explicit Subprocess(SpawnOptions options);
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  const std::string& program() const noexcept { return program_; }

  // The next line of a piped stream, without its '\n' (a last line without one is returned too);
  // std::nullopt once the stream has ended. Output of the other piped stream is kept meanwhile.
  // Throws TimeoutError util.subprocess_timeout when no full line came by the deadline.
  std::optional<std::string> read_line(const Deadline& deadline, Stream stream = Stream::Out);
  // Everything left on the piped streams until both end. Throws TimeoutError
  // util.subprocess_timeout when they have not ended by the deadline.
  Output read_to_end(const Deadline& deadline);
  // Stops reading: the child gets EPIPE / SIGPIPE if it writes on.
  void close_output() noexcept;

  // The exit code once the child has exited (reaping it), or std::nullopt if it still runs at
  // the deadline. Deadline(0) only looks.
  std::optional<int> wait(const Deadline& deadline);
  // SIGTERM (to the process group), then SIGKILL to the group after `grace`; reaps the child.
  // Returns its exit code (128 + the signal when the signal ended it).
  int terminate(std::chrono::milliseconds grace = kDefaultGrace);
  bool running() const noexcept { return !exit_code_.has_value(); }

 private:
  void signal(int signal_number) const noexcept;
  // Polls the open pipes once until the deadline; false when it passed with nothing read.
  bool pump(const Deadline& deadline);
  void reap(int status) noexcept;

  std::string program_;
  pid_t pid_ = -1;
  bool own_group_ = true;
  UniqueFd pidfd_;
  UniqueFd out_;
  UniqueFd err_;
  std::string out_buffer_;
  std::string err_buffer_;
  std::optional<int> exit_code_;
};

}  // namespace espfab
