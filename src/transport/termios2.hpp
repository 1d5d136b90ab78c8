// Any baud rate on Linux: termios2 with BOTHER (TCGETS2/TCSETS2). Kept apart because the kernel's
// <asm/termbits.h> cannot share a translation unit with glibc's <termios.h>.
#pragma once

#include <cstdint>
#include <functional>

namespace espfab::transport::detail {

// The ioctl through the caller's seam: (request, argument) -> ioctl's return value, errno set.
using IoctlFunction = std::function<int(unsigned long request, void* argument)>;

// Sets input and output speed to `baud` exactly. Returns 0 or the errno of the failed ioctl.
int set_termios2_baud(const IoctlFunction& ioctl, std::uint32_t baud);

// The TCGETS2 request number, for fakes that need to recognise it.
unsigned long termios2_get_request();
unsigned long termios2_set_request();
// Reads back a struct termios2 (for fakes): the output speed, or 0 when BOTHER is not set or the
// input and output speeds differ.
std::uint32_t termios2_custom_speed(const void* argument);

}  // namespace espfab::transport::detail
