// libespfab-emu-usb-lines.so: the CDC-ACM driver's part of espfab-emu's USB-Serial/JTAG ports
// (docs/emulator.md, "USB-Serial/JTAG"). Loaded with LD_PRELOAD into a host program (esptool,
// espfab), it answers the modem-line ioctls (TIOCMGET, TIOCMSET, TIOCMBIS, TIOCMBIC) on a tty that
// espfab-emu serves as a USB port by asking espfab-emu over that port's line-state socket, as
// the kernel's cdc-acm driver would send SET_CONTROL_LINE_STATE to the chip. Every other ioctl,
// and these on any other file, go to the C library unchanged (on a plain pty: ENOTTY).
//
// Plain C library calls only: this runs inside other programs.
#include <dlfcn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "emulator/usb_lines_wire.hpp"

namespace {

using espfab::emulator::UsbLinesMessage;
using espfab::emulator::UsbLinesOp;

using IoctlFunction = int (*)(int, unsigned long, ...);

IoctlFunction next_ioctl() {
  static const auto function = reinterpret_cast<IoctlFunction>(dlsym(RTLD_NEXT, "ioctl"));
  return function;
}

// The pty behind `fd` ("/dev/pts/N"), or false.
bool pty_of(int fd, char* tty, std::size_t size) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, tty, size - 1);
  if (n <= 0) return false;
  tty[n] = '\0';
  return std::strncmp(tty, "/dev/pts/", 9) == 0;
}

// Asks espfab-emu; false when no emulated USB port owns this pty (errno restored).
bool ask(const char* tty, UsbLinesOp op, unsigned bits, unsigned& now) {
  const int saved = errno;
  const int s = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const int length = std::snprintf(address.sun_path + 1, sizeof address.sun_path - 1, "%s%s",
                                   espfab::emulator::kUsbLinesSocketPrefix, tty);
  const auto size =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(length < 0 ? 0 : length));
  bool ok = ::connect(s, reinterpret_cast<const sockaddr*>(&address), size) == 0;
  if (ok) {
    timeval timeout{2, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const UsbLinesMessage request{static_cast<unsigned>(op), bits};
    UsbLinesMessage reply{};
    ok = ::send(s, &request, sizeof request, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof request) &&
         ::recv(s, &reply, sizeof reply, 0) == static_cast<ssize_t>(sizeof reply);
    now = reply.bits;
  }
  ::close(s);
  errno = saved;
  return ok;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list arguments;
  va_start(arguments, request);
  void* argument = va_arg(arguments, void*);
  va_end(arguments);
  UsbLinesOp op{};
  switch (request) {
    case TIOCMGET: op = UsbLinesOp::Get; break;
    case TIOCMSET: op = UsbLinesOp::Set; break;
    case TIOCMBIS: op = UsbLinesOp::SetBits; break;
    case TIOCMBIC: op = UsbLinesOp::ClearBits; break;
    default: return next_ioctl()(fd, request, argument);
  }
  char tty[256];
  if (argument != nullptr && pty_of(fd, tty, sizeof tty)) {
    auto* bits = static_cast<int*>(argument);
    unsigned now = 0;
    if (ask(tty, op, op == UsbLinesOp::Get ? 0u : static_cast<unsigned>(*bits), now)) {
      if (op == UsbLinesOp::Get) *bits = static_cast<int>(now);
      return 0;
    }
  }
  return next_ioctl()(fd, request, argument);
}
