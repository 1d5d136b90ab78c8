// CUPS printing through the `lp` client: no libcups, no shell; the child gets a fixed argv.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"
#include "util/subprocess.hpp"
#include "util/unique_fd.hpp"

namespace espfab::label {
namespace {

// The PDF in a private temporary file (mode 0600), removed when this goes out of scope.
class TempPdf {
 public:
  TempPdf(const std::string& serial, const Bytes& pdf) {
    std::string name = (std::filesystem::temp_directory_path() / ("espfab-label-" + serial + "-XXXXXX.pdf")).string();
    const UniqueFd fd(::mkostemps(name.data(), 4, O_CLOEXEC));
    if (!fd) {
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
  SpawnOptions options;
  options.argv = argv;
  options.out = Redirect::pipe();
  options.err = Redirect::pipe();
  std::optional<Subprocess> child;
  try {
    child.emplace(std::move(options));
  } catch (const IoError& e) {
    throw IoError("label.lp_not_found", e.message(),
                  "install the CUPS client (Debian package cups-client) or give the path of lp");
  }
  const Deadline deadline(timeout);
  ProcessResult result;
  try {
    Subprocess::Output output = child->read_to_end(deadline);
    result.out = std::move(output.out);
    result.err = std::move(output.err);
  } catch (const TimeoutError&) {
    child->terminate(std::chrono::milliseconds(0));
    throw TimeoutError("label.lp_timeout",
                       fmt::format("{} did not finish within {} ms", command_line(argv), timeout.count()),
                       "check that the CUPS scheduler is running (lpstat -r)");
  } catch (const IoError& e) {
    child->terminate(std::chrono::milliseconds(0));
    throw IoError("label.lp_failed", e.message());
  }
  result.exit_code = child->wait(Deadline::never()).value_or(-1);
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
