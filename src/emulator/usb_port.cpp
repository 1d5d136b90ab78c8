#include "emulator/usb_port.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emulator/usb_lines_wire.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

[[noreturn]] void throw_os(const std::string& what) {
  throw IoError("emulator.usb_port", what + ": " + std::strerror(errno), {});
}

sockaddr_un abstract_address(const std::string& tty, socklen_t& length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string name = std::string(kUsbLinesSocketPrefix) + tty;
  // sun_path[0] = '\0': the abstract namespace (no file to clean up).
  const std::size_t size = std::min(name.size(), sizeof address.sun_path - 1);
  std::memcpy(address.sun_path + 1, name.data(), size);
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + size);
  return address;
}

}  // namespace

UsbPort::UsbPort(const std::filesystem::path& by_id_dir, const std::string& serial)
    : link_(by_id_dir / ("usb-Espressif_USB_JTAG_serial_debug_unit_" + serial + "-if00")) {
  std::filesystem::create_directories(link_.parent_path());
}

UsbPort::~UsbPort() { unplug(); }

UniqueFd UsbPort::plug() {
  unplug();
  UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!master || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) throw_os("posix_openpt");
  tty_ = ptsname(master.get());
  slave_ = UniqueFd(::open(tty_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave_) throw_os("open " + tty_);
  termios tio{};
  tcgetattr(slave_.get(), &tio);
  cfmakeraw(&tio);
  tcsetattr(slave_.get(), TCSANOW, &tio);

  lines_ = UniqueFd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!lines_) throw_os("socket(AF_UNIX)");
  socklen_t length = 0;
  const sockaddr_un address = abstract_address(tty_, length);
  if (::bind(lines_.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(lines_.get(), 8) != 0) {
    throw_os("bind the line-state socket of " + tty_);
  }

  // The by-id link appears last and at once (a temporary link renamed over the old one).
  const std::filesystem::path temporary = link_.string() + ".new";
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  std::filesystem::create_symlink(tty_, temporary);
  std::filesystem::rename(temporary, link_);
  return master;
}

void UsbPort::unplug() {
  if (!slave_) return;
  std::error_code ignored;
  std::filesystem::remove(link_, ignored);
  lines_.reset();
  slave_.reset();
  tty_.clear();
}

std::optional<UsbPort::LinesRequest> UsbPort::accept_lines_request(UsbLines current) {
  UniqueFd connection(::accept4(lines_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!connection) return std::nullopt;
  // The library sends its request right after connecting and waits for the answer.
  timeval timeout{0, 200000};
  ::setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  UsbLinesMessage message{};
  if (::recv(connection.get(), &message, sizeof message, 0) != static_cast<ssize_t>(sizeof message)) {
    return std::nullopt;
  }
  std::uint32_t bits = (current.dtr ? kUsbLineDtr : 0) | (current.rts ? kUsbLineRts : 0);
  switch (static_cast<UsbLinesOp>(message.op)) {
    case UsbLinesOp::Get: break;
    case UsbLinesOp::Set: bits = message.bits; break;
    case UsbLinesOp::SetBits: bits |= message.bits; break;
    case UsbLinesOp::ClearBits: bits &= ~message.bits; break;
    default: return std::nullopt;
  }
  return LinesRequest{std::move(connection), UsbLines{(bits & kUsbLineDtr) != 0, (bits & kUsbLineRts) != 0}};
}

void UsbPort::answer(LinesRequest& request, UsbLines now) {
  const UsbLinesMessage reply{static_cast<std::uint32_t>(UsbLinesOp::Get),
                              (now.dtr ? kUsbLineDtr : 0) | (now.rts ? kUsbLineRts : 0)};
  ::send(request.connection.get(), &reply, sizeof reply, MSG_NOSIGNAL);
}

std::filesystem::path make_usb_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "espfab-emu-usb-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_os("mkdtemp " + pattern);
  return std::filesystem::path(pattern) / "by-id";
}

std::filesystem::path usb_lines_library() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return (error ? std::filesystem::path(".") : self.parent_path()) / "libespfab-emu-usb-lines.so";
}

}  // namespace espfab::emulator
