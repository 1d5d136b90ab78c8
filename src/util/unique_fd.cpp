#include "util/unique_fd.hpp"

#include <unistd.h>

#include <cerrno>

namespace espfab {

int close_fd(int fd) noexcept {
  if (::close(fd) == 0 || errno == EINTR) return 0;
  return -1;
}

}  // namespace espfab
