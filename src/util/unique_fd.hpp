// One owner for a file descriptor: move-only, closed on destruction. The fd is closed with
// close(2) or, for transport/'s system-call seam, through an FdCloser the tests can fake.
#pragma once

#include <utility>

namespace espfab {

// Closes a descriptor some other way than close(2). Not owned by UniqueFd; it must outlive it.
// An interface, used by reference; implementations choose their own copy and move.
class FdCloser {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  virtual ~FdCloser() = default;
  virtual int close(int fd) = 0;
};

// close(2) once. Linux releases the descriptor even when close reports EINTR, so EINTR counts as
// closed and is never retried: a retry could close a descriptor another thread has just been given.
// Returns 0, or -1 with errno for any other failure (EBADF, EIO).
int close_fd(int fd) noexcept;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(FdCloser& closer, int fd) noexcept : closer_(&closer), fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : closer_(other.closer_), fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      closer_ = other.closer_;
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  // Gives the descriptor up without closing it.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the owned descriptor (if any) and takes `fd`, to be closed the same way.
  void reset(int fd = -1) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old < 0) return;
    if (closer_ != nullptr) {
      closer_->close(old);
    } else {
      close_fd(old);
    }
  }

 private:
  FdCloser* closer_ = nullptr;
  int fd_ = -1;
};

}  // namespace espfab
