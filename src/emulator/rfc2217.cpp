#include "emulator/rfc2217.hpp"

#include <utility>

namespace espfab::emulator {
namespace {

constexpr std::uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251, kSb = 250, kSe = 240;
constexpr std::uint8_t kBinary = 0, kSga = 3, kComPort = 44;
constexpr std::uint8_t kServerOffset = 100;
// COM-PORT-OPTION commands (client -> server)
constexpr std::uint8_t kSetBaudrate = 1, kSetControl = 5, kNotifyLinestate = 6, kNotifyModemstate = 7,
                       kSetLinestateMask = 10, kSetModemstateMask = 11, kPurgeData = 12;
// SET-CONTROL values
constexpr std::uint8_t kDtrRequest = 7, kDtrOn = 8, kDtrOff = 9, kRtsRequest = 10, kRtsOn = 11, kRtsOff = 12;

void append_sb(Bytes& out, std::uint8_t command, ByteView value) {
  out.insert(out.end(), {kIac, kSb, kComPort, command});
  for (std::uint8_t b : value) {
    out.push_back(b);
    if (b == kIac) out.push_back(kIac);
  }
  out.insert(out.end(), {kIac, kSe});
}

}  // namespace

Bytes Rfc2217Session::escape(ByteView data) {
  Bytes out;
  out.reserve(data.size());
  for (std::uint8_t b : data) {
    out.push_back(b);
    if (b == kIac) out.push_back(kIac);
  }
  return out;
}

void Rfc2217Session::feed(ByteView in, Output& out) {
  for (std::uint8_t b : in) {
    switch (state_) {
      case State::Data:
        if (b == kIac) {
          state_ = State::Iac;
        } else {
          out.serial_data.push_back(b);
        }
        break;
      case State::Iac:
        if (b == kIac) {
          out.serial_data.push_back(kIac);
          state_ = State::Data;
        } else if (b == kSb) {
          sb_.clear();
          state_ = State::Sb;
        } else if (b == kWill || b == kWont || b == kDo || b == kDont) {
          verb_ = b;
          state_ = State::Verb;
        } else {
          state_ = State::Data;  // NOP, GA, ...: nothing to do
        }
        break;
      case State::Verb:
        option(verb_, b, out);
        state_ = State::Data;
        break;
      case State::Sb:
        if (b == kIac) {
          state_ = State::SbIac;
        } else if (sb_.size() < 64) {
          sb_.push_back(b);
        }
        break;
      case State::SbIac:
        if (b == kSe) {
          subnegotiation(out);
          state_ = State::Data;
        } else {
          if (sb_.size() < 64) sb_.push_back(b);  // IAC IAC inside SB
          state_ = State::Sb;
        }
        break;
    }
  }
}

Bytes Rfc2217Session::greeting() {
  options_[kBinary].they.requested = true;
  options_[kBinary].we.requested = true;
  return Bytes{kIac, kDo, kBinary, kIac, kWill, kBinary};
}

// RFC 854: a request for the state an option is already in is not answered; an answer to our own
// request completes it; a new request is accepted or refused once.
void Rfc2217Session::option(std::uint8_t verb, std::uint8_t opt, Output& out) {
  const bool supported = opt == kBinary || opt == kSga || opt == kComPort;
  const bool about_them = verb == kWill || verb == kWont;
  const bool wants_on = verb == kWill || verb == kDo;
  Side& side = about_them ? options_[opt].they : options_[opt].we;
  const std::uint8_t yes = about_them ? kDo : kWill;
  const std::uint8_t no = about_them ? kDont : kWont;
  const bool was_requested = std::exchange(side.requested, false);
  if (wants_on) {
    if (side.enabled) return;
    if (!supported) {
      out.reply.insert(out.reply.end(), {kIac, no, opt});
      return;
    }
    side.enabled = true;
    if (!was_requested) out.reply.insert(out.reply.end(), {kIac, yes, opt});
    if (about_them && opt == kComPort) notify_modem_state(out.reply);
    return;
  }
  if (!side.enabled) return;  // already off, or the refusal of our own request
  side.enabled = false;
  if (!was_requested) out.reply.insert(out.reply.end(), {kIac, no, opt});
}

void Rfc2217Session::notify_modem_state(Bytes& reply) const {
  const std::uint8_t value = kModemState & modem_mask_;
  append_sb(reply, static_cast<std::uint8_t>(kNotifyModemstate + kServerOffset), ByteView(&value, 1));
}

void Rfc2217Session::subnegotiation(Output& out) {
  if (sb_.size() < 2 || sb_[0] != kComPort) return;
  const std::uint8_t command = sb_[1];
  Bytes value(sb_.begin() + 2, sb_.end());
  switch (command) {
    case kSetBaudrate:
      if (value.size() == 4) {
        const std::uint32_t baud = static_cast<std::uint32_t>(value[0]) << 24 |
                                   static_cast<std::uint32_t>(value[1]) << 16 |
                                   static_cast<std::uint32_t>(value[2]) << 8 | value[3];
        if (baud != 0) {
          baud_ = max_baud_ && baud > *max_baud_ ? *max_baud_ : baud;
          out.events.push_back({ComPortEvent::Kind::SetBaud, baud_});
        }
        value = {static_cast<std::uint8_t>(baud_ >> 24), static_cast<std::uint8_t>(baud_ >> 16),
                 static_cast<std::uint8_t>(baud_ >> 8), static_cast<std::uint8_t>(baud_)};
      }
      break;
    case kSetControl:
      if (value.size() == 1) {
        switch (value[0]) {
          case kDtrOn:
          case kDtrOff:
            dtr_ = value[0] == kDtrOn;
            out.events.push_back({ComPortEvent::Kind::Dtr, dtr_ ? 1u : 0u});
            break;
          case kRtsOn:
          case kRtsOff:
            rts_ = value[0] == kRtsOn;
            out.events.push_back({ComPortEvent::Kind::Rts, rts_ ? 1u : 0u});
            break;
          case kDtrRequest: value[0] = dtr_ ? kDtrOn : kDtrOff; break;
          case kRtsRequest: value[0] = rts_ ? kRtsOn : kRtsOff; break;
          default: break;  // flow control and break settings: acknowledged as requested
        }
      }
      break;
    case kPurgeData:
      if (value.size() == 1) out.events.push_back({ComPortEvent::Kind::Purge, value[0]});
      break;
    case kNotifyModemstate:  // the client polls (pyserial's poll_modem): the current state
      notify_modem_state(out.reply);
      return;
    case kNotifyLinestate:  // the client polls: no line-state event (no data, parity or framing errors)
      value = {static_cast<std::uint8_t>(kLineState & line_mask_)};
      break;
    case kSetModemstateMask:
      if (value.size() == 1) modem_mask_ = value[0];
      break;
    case kSetLinestateMask:
      if (value.size() == 1) line_mask_ = value[0];
      break;
    default: break;  // data size, parity, stop size, masks: acknowledged with the same value
  }
  append_sb(out.reply, static_cast<std::uint8_t>(command + kServerOffset), value);
}

}  // namespace espfab::emulator
