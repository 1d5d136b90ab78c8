// The line's two baud rates and the ROM's rate detection (docs/serial-protocol.md §4.1: the ROM
// starts at 115200 and auto-bauds on the SYNC pattern; esptool sends SYNC, 07 07 12 20 and 32 x
// 0x55, with the first command at whatever rate the host chose).
//
// Model: the host's adapter runs at the rate the host set (RFC 2217 SET-BAUDRATE), the chip's
// UART at its own (115200 after every reset, then CHANGE_BAUDRATE). Bytes sent at a rate the
// receiver is not at never arrive as bytes (framing errors): both directions lose them. The one
// exception is the ROM loader's rate detection: while the chip is in ROM download mode, a whole
// SYNC request sent at another rate is measured, the chip's UART takes that rate, and the request
// is answered at it. The flasher stub and the apps do not detect rates.
#pragma once

#include <cstdint>
#include <optional>

#include "emulator/slip.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

class RomAutobaud {
 public:
  // Bytes that arrived while the rates differ. Returns the decoded SYNC request once one has come
  // in whole (the chip then switches to the host's rate); nullopt for everything else.
  std::optional<Bytes> feed(ByteView at_other_rate);
  void reset();

 private:
  SlipDecoder decoder_;
};

}  // namespace espfab::emulator
