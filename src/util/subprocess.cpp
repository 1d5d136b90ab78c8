#include "util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "util/error.hpp"

extern char** environ;

namespace espfab {
namespace {

// posix_spawn's file actions and attributes, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  SpawnSetup(SpawnSetup&&) = delete;
  SpawnSetup& operator=(SpawnSetup&&) = delete;

  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
};

// The poll timeout for what is left of `deadline`: -1 for a deadline that never comes.
int poll_timeout(const Deadline& deadline) {
  const auto left = deadline.remaining_ms();
  if (left == std::chrono::milliseconds::max()) return -1;
  return static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX));
}

[[noreturn]] void spawn_failed(const std::string& program, const std::string& what) {
  throw IoError("util.spawn_failed", fmt::format("cannot start {}: {}", program, what),
                "check that the program is installed, executable and on PATH, and that its log directory exists");
}

std::vector<std::string> merged_environment(const std::vector<std::string>& added) {
  std::vector<std::string> merged(added);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto name = text.substr(0, text.find('=') + 1);
    const bool replaced = std::any_of(added.begin(), added.end(), [&](const auto& a) { return a.starts_with(name); });
    if (!replaced) merged.push_back(text);
  }
  return merged;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// Adds the file actions for `redirect` on descriptor `target` (1 or 2); a pipe's write end is
// kept in `pipe_write` (closed in the parent after the spawn), its read end returned.
UniqueFd add_redirect(SpawnSetup& setup, const Redirect& redirect, int target, const std::string& program,
                      UniqueFd& pipe_write) {
  switch (redirect.kind) {
    case Redirect::Kind::Inherit: return {};
    case Redirect::Kind::Pipe: {
      std::array<int, 2> ends{-1, -1};
      if (::pipe2(ends.data(), O_CLOEXEC) != 0) spawn_failed(program, fmt::format("pipe: {}", std::strerror(errno)));
      UniqueFd read_end(ends[0]);
      pipe_write.reset(ends[1]);
      posix_spawn_file_actions_adddup2(&setup.actions, pipe_write.get(), target);
      return read_end;
    }
    case Redirect::Kind::File:
      posix_spawn_file_actions_addopen(&setup.actions, target, redirect.path.c_str(),
                                       O_WRONLY | O_CREAT | (redirect.append ? O_APPEND : O_TRUNC), 0644);
      return {};
    case Redirect::Kind::Null:
      posix_spawn_file_actions_addopen(&setup.actions, target, "/dev/null", O_WRONLY, 0);
      return {};
    case Redirect::Kind::ToStdout: posix_spawn_file_actions_adddup2(&setup.actions, 1, target); return {};
  }
  return {};
}

}  // namespace

int exit_code_of(int wait_status) noexcept {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

Subprocess::Subprocess(SpawnOptions options) : own_group_(options.own_process_group) {
  if (options.argv.empty() || options.argv[0].empty()) {
    throw BadInputError("util.spawn_argv", "no program to start", "give the program as argv[0]");
  }
  if (options.out.kind == Redirect::Kind::ToStdout) {
    throw BadInputError("util.spawn_argv", "stdout cannot be redirected to itself", "use a pipe, file or null");
  }
  program_ = options.argv[0];
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  UniqueFd out_write;
  UniqueFd err_write;
  out_ = add_redirect(setup, options.out, 1, program_, out_write);
  err_ = add_redirect(setup, options.err, 2, program_, err_write);
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd->c_str());
  if (own_group_) {
    posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&setup.attributes, 0);
  }

  std::vector<char*> argv = pointers(options.argv);
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  if (!options.env.empty()) {
    env_storage = merged_environment(options.env);
    envp = pointers(env_storage);
  }
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attributes, argv.data(),
                                     envp.empty() ? environ : envp.data());
  out_write.reset();
  err_write.reset();
  if (spawned != 0) spawn_failed(program_, std::strerror(spawned));
  pid_ = pid;
  // The syscall itself: glibc 2.36 declares pidfd_open without C linkage for C++.
  pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  if (!pidfd_) {
    const int error = errno;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    spawn_failed(program_, fmt::format("pidfd_open: {}", std::strerror(error)));
  }
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : program_(std::move(other.program_)),
      pid_(std::exchange(other.pid_, -1)),
      own_group_(other.own_group_),
      pidfd_(std::move(other.pidfd_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)),
      out_buffer_(std::move(other.out_buffer_)),
      err_buffer_(std::move(other.err_buffer_)),
      exit_code_(other.exit_code_) {}

Subprocess::~Subprocess() {
  if (pid_ > 0 && running()) terminate();
}

void Subprocess::signal(int signal_number) const noexcept {
  if (own_group_) {
    ::kill(-pid_, signal_number);
  } else {
    ::kill(pid_, signal_number);
  }
}

bool Subprocess::pump(const Deadline& deadline) {
  std::array<pollfd, 2> fds{};
  std::array<UniqueFd*, 2> owners{};
  std::array<std::string*, 2> buffers{};
  nfds_t count = 0;
  for (auto [fd, buffer] : {std::pair{&out_, &out_buffer_}, std::pair{&err_, &err_buffer_}}) {
    if (!*fd) continue;
    fds[count] = {fd->get(), POLLIN, 0};
    owners[count] = fd;
    buffers[count] = buffer;
    ++count;
  }
  if (count == 0) return true;
  int ready = -1;
  do {
    ready = ::poll(fds.data(), count, poll_timeout(deadline));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) {
    throw IoError("util.subprocess_read",
                  fmt::format("cannot wait for output of {}: {}", program_, std::strerror(errno)),
                  "the system may be out of resources");
  }
  if (ready == 0) return false;
  std::array<char, 4096> chunk{};
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    ssize_t n = -1;
    do {
      n = ::read(fds[i].fd, chunk.data(), chunk.size());
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      buffers[i]->append(chunk.data(), static_cast<std::size_t>(n));
    } else {
      owners[i]->reset();  // end of output (or a broken pipe: nothing more will come)
    }
  }
  return true;
}

std::optional<std::string> Subprocess::read_line(const Deadline& deadline, Stream stream) {
  std::string& buffer = stream == Stream::Out ? out_buffer_ : err_buffer_;
  const UniqueFd& fd = stream == Stream::Out ? out_ : err_;
  for (;;) {
    const auto end = buffer.find('\n');
    if (end != std::string::npos) {
      std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      return line;
    }
    if (!fd) {
      if (buffer.empty()) return std::nullopt;
      return std::exchange(buffer, {});
    }
    if (!pump(deadline)) {
      throw TimeoutError("util.subprocess_timeout", fmt::format("{} wrote no full line in time", program_),
                         "the program may hang or wait for something; see its log");
    }
  }
}

Subprocess::Output Subprocess::read_to_end(const Deadline& deadline) {
  while (out_ || err_) {
    if (!pump(deadline)) {
      throw TimeoutError("util.subprocess_timeout", fmt::format("{} did not finish its output in time", program_),
                         "the program may hang or wait for something; see its log");
    }
  }
  return Output{std::exchange(out_buffer_, {}), std::exchange(err_buffer_, {})};
}

void Subprocess::close_output() noexcept {
  out_.reset();
  err_.reset();
}

void Subprocess::reap(int status) noexcept { exit_code_ = exit_code_of(status); }

std::optional<int> Subprocess::wait(const Deadline& deadline) {
  if (!running() || pid_ <= 0) return exit_code_;
  pollfd exited{pidfd_.get(), POLLIN, 0};
  int ready = -1;
  do {
    ready = ::poll(&exited, 1, poll_timeout(deadline));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  pid_t done = -1;
  do {
    done = ::waitpid(pid_, &status, 0);
  } while (done < 0 && errno == EINTR);
  if (done == pid_) reap(status);
  return exit_code_;
}

int Subprocess::terminate(std::chrono::milliseconds grace) {
  if (!running() || pid_ <= 0) return exit_code_.value_or(-1);
  signal(SIGTERM);
  pollfd exited{pidfd_.get(), POLLIN, 0};
  const Deadline patience(grace);
  int ready = -1;
  do {
    ready = ::poll(&exited, 1, poll_timeout(patience));
  } while ((ready < 0 && errno == EINTR) || (ready == 0 && !patience.expired()));
  // The leader is a zombie (or still alive): its pid, and so the group id, cannot be reused yet,
  // so SIGKILL reaches exactly what is left of the group, grandchildren that ignored SIGTERM too.
  if (ready <= 0 || own_group_) signal(SIGKILL);
  int status = 0;
  pid_t done = -1;
  do {
    done = ::waitpid(pid_, &status, 0);
  } while (done < 0 && errno == EINTR);
  if (done == pid_) reap(status);
  return exit_code_.value_or(-1);
}

}  // namespace espfab
