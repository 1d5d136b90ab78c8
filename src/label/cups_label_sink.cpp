// CUPS printing through the `lp` client: no libcups, no shell; the child gets a fixed argv.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"

extern char** environ;

namespace espfab::label {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// The PDF in a private temporary file (mode 0600), removed when this goes out of scope.
class TempPdf {
 public:
  TempPdf(const std::string& serial, const Bytes& pdf) {
    std::string name = (std::filesystem::temp_directory_path() / ("espfab-label-" + serial + "-XXXXXX.pdf")).string();
    Fd fd(::mkostemps(name.data(), 4, O_CLOEXEC));
    if (fd.get() < 0) {
      throw IoError("label.temp_file_failed",
                    fmt::format("cannot create a temporary file for the label: {}", std::strerror(errno)),
                    "check TMPDIR and free disk space");
    }
    path_ = name;
    std::size_t done = 0;
    while (done < pdf.size()) {
      const ssize_t n = ::write(fd.get(), pdf.data() + done, pdf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::unlink(path_.c_str());
        throw IoError("label.temp_file_failed", fmt::format("cannot write {}: {}", path_.string(), std::strerror(err)),
                      "check TMPDIR and free disk space");
      }
      done += static_cast<std::size_t>(n);
    }
  }
  ~TempPdf() { ::unlink(path_.c_str()); }
  TempPdf(const TempPdf&) = delete;
  TempPdf& operator=(const TempPdf&) = delete;
  TempPdf(TempPdf&&) = delete;
  TempPdf& operator=(TempPdf&&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

// Runs argv[0] (searched in PATH unless it holds a '/') with stdin from /dev/null; collects its
// output until it exits or the deadline passes (then it is killed).
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
    throw IoError("label.lp_failed", fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    throw IoError("label.lp_failed", fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  args.reserve(storage.size() + 1);
  for (auto& arg : storage) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  out_write.reset();
  err_write.reset();
  if (spawned != 0) {
    throw IoError("label.lp_not_found", fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)),
                  "install the CUPS client (Debian package cups-client) or give the path of lp");
  }

  ProcessResult result;
  const Deadline deadline(timeout);
  std::array<pollfd, 2> fds{{{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}}};
  int open_fds = 2;
  std::array<char, 4096> buffer{};
  bool timed_out = false;
  int poll_error = 0;
  while (open_fds > 0) {
    const auto left = deadline.remaining_ms();
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      poll_error = errno;
      break;
    }
    if (ready == 0) continue;  // the deadline check above ends the loop
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer.data(), static_cast<std::size_t>(n));
      } else {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (timed_out || poll_error != 0) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    throw TimeoutError("label.lp_timeout",
                       fmt::format("{} did not finish within {} ms", command_line(argv), timeout.count()),
                       "check that the CUPS scheduler is running (lpstat -r)");
  }
  if (poll_error != 0) {
    throw IoError("label.lp_failed",
                  fmt::format("cannot read the output of {}: {}", argv[0], std::strerror(poll_error)));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

CupsLabelSink::CupsLabelSink(std::string queue, std::string lp_program, LabelSize size,
                             std::chrono::milliseconds timeout)
    : queue_(std::move(queue)), lp_program_(std::move(lp_program)), size_(size), timeout_(timeout) {
  bool ok = !queue_.empty() && queue_.size() <= 127 && queue_.front() != '-';
  for (const char c : queue_) ok = ok && c > 0x20 && c < 0x7f && c != '/' && c != '#';
  if (!ok) {
    throw BadInputError("label.bad_queue", fmt::format("'{}' is not a CUPS queue name", queue_),
                        "give the queue name as `lpstat -p` lists it (printable characters, no blanks, '/' or '#')");
  }
  if (lp_program_.empty()) {
    throw BadInputError("label.lp_not_found", "the lp program is empty", "give lp or the path of lp");
  }
  validate_label_size(size_);
}

std::string CupsLabelSink::print(const LabelFields& fields) {
  const LabelPlan plan = plan_label(fields, size_);
  const TempPdf file(plan.fields.serial, render_pdf(plan));
  const std::vector<std::string> argv{lp_program_, "-d", queue_, file.path().string()};
  const ProcessResult result = run_process(argv, timeout_);
  if (result.exit_code != 0) {
    const std::string err = trimmed(result.err);
    throw IoError("label.lp_failed",
                  fmt::format("printing label {} on CUPS queue {} failed: {} exited with {}{}{}", plan.fields.serial,
                              queue_, lp_program_, result.exit_code, err.empty() ? "" : ": ", err),
                  fmt::format("check the queue with `lpstat -p {}` and that CUPS is running (`lpstat -r`)", queue_));
  }
  const std::string answer = trimmed(result.out);
  return answer.empty() ? fmt::format("sent to CUPS queue {}", queue_)
                        : fmt::format("sent to CUPS queue {}: {}", queue_, answer);
}

std::string CupsLabelSink::describe() const { return fmt::format("CUPS queue {} (via {})", queue_, lp_program_); }

}  // namespace espfab::label
