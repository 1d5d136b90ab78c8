// The server side of RFC 2217 (Telnet COM-PORT-OPTION) for one connection: splits the client's
// stream into serial data and control requests (baud, DTR/RTS, purge), answers the Telnet option
// negotiation and acknowledges every COM-PORT request as pyserial's client waits for, and escapes
// IAC in data going back. Pure: bytes in, bytes and events out.
//
// Options (RFC 854/855, without RFC 1143's queue bits): the server asks for BINARY both ways at
// connect (RFC 856: 8-bit data such as SLIP needs it), accepts BINARY, SGA and COM-PORT-OPTION,
// refuses the rest, and never answers a request for a state an option is already in, so no
// negotiation loops. Modem state (RFC 2217 NOTIFY-MODEMSTATE): the USB-UART bridge's CTS, DSR, RI
// and CD inputs are unconnected on the modelled boards and read inactive; the state is sent once
// COM-PORT-OPTION is agreed and whenever the client polls for it (pyserial raises on a cts/dsr/
// ri/cd read until it has one).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
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

  // What the server sends first on a new connection: DO BINARY and WILL BINARY.
  Bytes greeting();
  void feed(ByteView in, Output& out);
  // Device TX bytes as they must go on the wire (IAC doubled).
  static Bytes escape(ByteView data);

  // Line states as last set by the client (RFC 2217 defaults: both off).
  bool dtr() const noexcept { return dtr_; }
  bool rts() const noexcept { return rts_; }
  std::uint32_t baud() const noexcept { return baud_; }
  // The adapter's fastest rate (none: any): SET-BAUDRATE above it runs the adapter at this rate,
  // and the answer says so (as a CP210x driver rounds to a rate it supports).
  void set_max_baud(std::optional<std::uint32_t> max) noexcept { max_baud_ = max; }
  // Whether the client sends (they) / we send binary data (RFC 856) as negotiated.
  bool client_binary() const noexcept { return options_[kBinaryOption].they.enabled; }
  bool server_binary() const noexcept { return options_[kBinaryOption].we.enabled; }

  // NOTIFY-MODEMSTATE value bits (RFC 2217): CD, RI, DSR, CTS.
  static constexpr std::uint8_t kModemCd = 0x80, kModemRi = 0x40, kModemDsr = 0x20, kModemCts = 0x10;
  // The bridge's inputs: none active.
  static constexpr std::uint8_t kModemState = 0x00;
  // NOTIFY-LINESTATE: no break, framing, parity or overrun event is modelled.
  static constexpr std::uint8_t kLineState = 0x00;

 private:
  static constexpr std::size_t kBinaryOption = 0;
  struct Side {
    bool enabled = false;
    bool requested = false;  // we asked (WILL/DO) and wait for the answer
  };
  struct OptionState {
    Side we;    // we perform the option (WILL/WONT from us, DO/DONT from them)
    Side they;  // they perform it (DO/DONT from us, WILL/WONT from them)
  };

  void option(std::uint8_t verb, std::uint8_t opt, Output& out);
  void subnegotiation(Output& out);
  void notify_modem_state(Bytes& reply) const;

  enum class State { Data, Iac, Verb, Sb, SbIac };
  State state_ = State::Data;
  std::uint8_t verb_ = 0;
  Bytes sb_;
  bool dtr_ = false;
  bool rts_ = false;
  std::uint32_t baud_ = 115200;
  std::optional<std::uint32_t> max_baud_;
  std::array<OptionState, 256> options_{};
  std::uint8_t modem_mask_ = 0xFF;  // SET-MODEMSTATE-MASK default (RFC 2217)
  std::uint8_t line_mask_ = 0x00;   // SET-LINESTATE-MASK default
};

}  // namespace espfab::emulator
