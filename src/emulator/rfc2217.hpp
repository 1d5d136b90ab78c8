// The server side of RFC 2217 (Telnet COM-PORT-OPTION) for one connection: splits the client's
// stream into serial data and control requests (baud, DTR/RTS, purge), answers the Telnet option
// negotiation and acknowledges every COM-PORT request as pyserial's client waits for, and escapes
// IAC in data going back. Pure: bytes in, bytes and events out.
#pragma once

#include <cstdint>
#include <vector>

#include "util/bytes.hpp"

namespace espfab::emulator {

struct ComPortEvent {
  enum class Kind { SetBaud, Dtr, Rts, Purge };
  Kind kind;
  std::uint32_t value = 0;  // baud; 1/0 for Dtr/Rts; purge selector (1 rx, 2 tx, 3 both)
};

class Rfc2217Session {
 public:
  struct Output {
    Bytes serial_data;  // to the device's RX line
    Bytes reply;        // Telnet answers to the client
    std::vector<ComPortEvent> events;
  };

  void feed(ByteView in, Output& out);
  // Device TX bytes as they must go on the wire (IAC doubled).
  static Bytes escape(ByteView data);

  // Line states as last set by the client (RFC 2217 defaults: both off).
  bool dtr() const noexcept { return dtr_; }
  bool rts() const noexcept { return rts_; }
  std::uint32_t baud() const noexcept { return baud_; }

 private:
  void option(std::uint8_t verb, std::uint8_t opt, Output& out);
  void subnegotiation(Output& out);

  enum class State { Data, Iac, Verb, Sb, SbIac };
  State state_ = State::Data;
  std::uint8_t verb_ = 0;
  Bytes sb_;
  bool dtr_ = false;
  bool rts_ = false;
  std::uint32_t baud_ = 115200;
};

}  // namespace espfab::emulator
