// The request the preload library (libespfab-emu-usb-lines.so) sends for a modem-line ioctl on an
// emulated USB-Serial/JTAG tty, and the answer: one SOCK_SEQPACKET message each way on the
// abstract Unix socket "<kUsbLinesSocketPrefix><tty path>". Both sides include this header.
#pragma once

#include <cstdint>

namespace espfab::emulator {

inline constexpr const char* kUsbLinesSocketPrefix = "espfab-emu-usb-lines:";

// Line bits as <termios.h> numbers them (TIOCM_DTR, TIOCM_RTS).
inline constexpr std::uint32_t kUsbLineDtr = 0x002;
inline constexpr std::uint32_t kUsbLineRts = 0x004;

enum class UsbLinesOp : std::uint32_t { Get = 1, Set = 2, SetBits = 3, ClearBits = 4 };

struct UsbLinesMessage {
  std::uint32_t op;    // UsbLinesOp (the answer carries Get)
  std::uint32_t bits;  // the ioctl's argument; in the answer, the lines now
};

}  // namespace espfab::emulator
