#include "transport/telnet_codec.hpp"

#include <cstring>

namespace espfab::transport::telnet {

Bytes escape_data(ByteView data) {
  // Runs between IAC bytes are copied whole (IAC is one byte in 256 of random data).
  Bytes out;
  out.reserve(data.size() + data.size() / 64 + 4);
  const std::uint8_t* from = data.data();
  const std::uint8_t* const end = from + data.size();
  while (from != end) {
    const auto* iac = static_cast<const std::uint8_t*>(std::memchr(from, kIac, static_cast<std::size_t>(end - from)));
    const std::uint8_t* const stop = iac != nullptr ? iac + 1 : end;
    out.insert(out.end(), from, stop);
    if (iac != nullptr) out.push_back(kIac);
    from = stop;
  }
  return out;
}

Bytes negotiation(std::uint8_t verb, std::uint8_t option) { return Bytes{kIac, verb, option}; }

Bytes subnegotiation(std::uint8_t option, ByteView payload) {
  Bytes out{kIac, kSb, option};
  const Bytes escaped = escape_data(payload);
  out.insert(out.end(), escaped.begin(), escaped.end());
  out.push_back(kIac);
  out.push_back(kSe);
  return out;
}

void Decoder::feed(ByteView in, Bytes& data, std::vector<Event>& events) {
  for (const std::uint8_t byte : in) {
    switch (state_) {
      case State::Data:
        if (byte == kIac) {
          state_ = State::Iac;
        } else {
          data.push_back(byte);
        }
        break;
      case State::Iac:
        if (byte == kIac) {
          data.push_back(kIac);
          state_ = State::Data;
        } else if (byte == kWill || byte == kWont || byte == kDo || byte == kDont) {
          verb_ = byte;
          state_ = State::Option;
        } else if (byte == kSb) {
          sub_ = Event{Event::Type::Subnegotiation, 0, 0, {}};
          sub_has_option_ = false;
          state_ = State::Sub;
        } else {
          events.push_back(Event{Event::Type::Command, byte, 0, {}});  // NOP, GA, a stray SE, ...
          state_ = State::Data;
        }
        break;
      case State::Option:
        events.push_back(Event{Event::Type::Negotiation, verb_, byte, {}});
        state_ = State::Data;
        break;
      case State::Sub:
        if (byte == kIac) {
          state_ = State::SubIac;
        } else if (!sub_has_option_) {
          sub_.option = byte;
          sub_has_option_ = true;
        } else if (sub_.payload.size() < kMaxSubnegotiation) {
          sub_.payload.push_back(byte);
        }
        break;
      case State::SubIac:
        if (byte == kSe) {
          if (sub_has_option_) events.push_back(std::move(sub_));
          sub_ = Event{};
          state_ = State::Data;
        } else if (byte == kIac) {
          if (!sub_has_option_) {
            sub_.option = kIac;
            sub_has_option_ = true;
          } else if (sub_.payload.size() < kMaxSubnegotiation) {
            sub_.payload.push_back(kIac);
          }
          state_ = State::Sub;
        } else {
          // IAC <other> inside SB: a broken peer. Drop the sub-negotiation, resume as a command.
          events.push_back(Event{Event::Type::Command, byte, 0, {}});
          sub_ = Event{};
          state_ = State::Data;
        }
        break;
    }
  }
}

}  // namespace espfab::transport::telnet
