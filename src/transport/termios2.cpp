#include "transport/termios2.hpp"

#include <asm/ioctls.h>
#include <asm/termbits.h>

#include <cerrno>

namespace espfab::transport::detail {

int set_termios2_baud(const IoctlFunction& ioctl, std::uint32_t baud) {
  struct termios2 options {};
  if (ioctl(TCGETS2, &options) != 0) return errno;
  options.c_cflag &= ~static_cast<tcflag_t>(CBAUD);
  options.c_cflag |= BOTHER;
  options.c_cflag &= ~static_cast<tcflag_t>(CBAUD << IBSHIFT);
  options.c_cflag |= static_cast<tcflag_t>(BOTHER << IBSHIFT);
  options.c_ispeed = baud;
  options.c_ospeed = baud;
  if (ioctl(TCSETS2, &options) != 0) return errno;
  return 0;
}

unsigned long termios2_get_request() { return TCGETS2; }
unsigned long termios2_set_request() { return TCSETS2; }

std::uint32_t termios2_custom_speed(const void* argument) {
  const auto* options = static_cast<const struct termios2*>(argument);
  if ((options->c_cflag & CBAUD) != BOTHER || options->c_ispeed != options->c_ospeed) return 0;
  return options->c_ospeed;
}

}  // namespace espfab::transport::detail
