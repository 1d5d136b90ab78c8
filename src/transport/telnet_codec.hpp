// Telnet framing as RFC 2217 uses it (RFC 854/855): data with IAC (0xFF) doubled, option
// negotiation (WILL/WONT/DO/DONT) and sub-negotiation (SB ... IAC SE). Pure bytes in and out.
#pragma once

#include <cstdint>
#include <vector>

#include "util/bytes.hpp"

namespace espfab::transport::telnet {

inline constexpr std::uint8_t kIac = 255;
inline constexpr std::uint8_t kDont = 254;
inline constexpr std::uint8_t kDo = 253;
inline constexpr std::uint8_t kWont = 252;
inline constexpr std::uint8_t kWill = 251;
inline constexpr std::uint8_t kSb = 250;
inline constexpr std::uint8_t kSe = 240;

inline constexpr std::uint8_t kOptionBinary = 0;
inline constexpr std::uint8_t kOptionSuppressGoAhead = 3;
inline constexpr std::uint8_t kOptionComPort = 44;  // RFC 2217 COM-PORT-OPTION

// Data for the wire: every 0xFF becomes IAC IAC.
Bytes escape_data(ByteView data);
// IAC <verb> <option>.
Bytes negotiation(std::uint8_t verb, std::uint8_t option);
// IAC SB <option> <payload, IAC doubled> IAC SE.
Bytes subnegotiation(std::uint8_t option, ByteView payload);

struct Event {
  enum class Type { Negotiation, Subnegotiation, Command };
  Type type = Type::Command;
  std::uint8_t verb = 0;    // WILL/WONT/DO/DONT for Negotiation, the command byte for Command
  std::uint8_t option = 0;  // Negotiation and Subnegotiation
  Bytes payload;            // Subnegotiation: bytes after the option, IAC IAC undone
};

// Splits a received byte stream into data and telnet events; keeps state across calls, so a
// sequence may be split anywhere.
class Decoder {
 public:
  void feed(ByteView in, Bytes& data, std::vector<Event>& events);

 private:
  enum class State { Data, Iac, Option, Sub, SubIac };
  static constexpr std::size_t kMaxSubnegotiation = 256;

  State state_ = State::Data;
  std::uint8_t verb_ = 0;
  Event sub_;
  bool sub_has_option_ = false;
};

}  // namespace espfab::transport::telnet
