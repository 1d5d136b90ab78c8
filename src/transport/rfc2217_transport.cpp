#include "transport/rfc2217_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "transport/socket_transport.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::transport {

namespace {

Bytes be32(std::uint32_t value) {
  return Bytes{static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
               static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

}  // namespace

std::unique_ptr<Rfc2217Transport> Rfc2217Transport::connect(const std::string& host, std::uint16_t port,
                                                            Options options) {
  auto link = SocketTransport::connect(host, port);
  return std::make_unique<Rfc2217Transport>(std::move(link), fmt::format("{}:{}", host, port), options);
}

Rfc2217Transport::Rfc2217Transport(std::unique_ptr<Transport> link, std::string peer, Options options)
    : link_(std::move(link)), peer_(std::move(peer)), options_(options) {
  Bytes hello;
  auto request = [&](std::uint8_t verb, std::uint8_t option) {
    const Bytes bytes = telnet::negotiation(verb, option);
    hello.insert(hello.end(), bytes.begin(), bytes.end());
    (verb == telnet::kWill ? ours_ : theirs_)[option] = OptionState::Requested;
  };
  request(telnet::kWill, telnet::kOptionBinary);
  request(telnet::kDo, telnet::kOptionBinary);
  request(telnet::kWill, telnet::kOptionSuppressGoAhead);
  request(telnet::kDo, telnet::kOptionSuppressGoAhead);
  request(telnet::kWill, telnet::kOptionComPort);
  link_->write(hello);

  const Deadline deadline(options_.negotiation_timeout);
  while (ours_[telnet::kOptionComPort] != OptionState::On) {
    if (com_port_refused_) {
      throw ProtocolError("transport.rfc2217_refused", fmt::format("{} refused the RFC 2217 COM-PORT-OPTION", peer_),
                          "enable RFC 2217 on the serial server (ser2net: 'telnet(rfc2217)' accepter option), or "
                          "use socket:// for a raw TCP port");
    }
    if (!pump(deadline)) {
      throw TimeoutError(
          "transport.rfc2217_no_negotiation",
          fmt::format("{} did not negotiate RFC 2217 within {} ms", peer_, options_.negotiation_timeout.count()),
          "check that the port is an RFC 2217 server; use socket:// for a raw TCP port");
    }
  }
  send_command(rfc2217::kSetDatasize, Bytes{8});
  send_command(rfc2217::kSetParity, Bytes{rfc2217::kParityNone});
  send_command(rfc2217::kSetStopsize, Bytes{rfc2217::kStopsizeOne});
  set_baud(options_.baud);
}

void Rfc2217Transport::send_command(std::uint8_t command, ByteView value) {
  Bytes payload{command};
  payload.insert(payload.end(), value.begin(), value.end());
  link_->write(telnet::subnegotiation(telnet::kOptionComPort, payload));
}

bool Rfc2217Transport::we_support(std::uint8_t option) {
  return option == telnet::kOptionBinary || option == telnet::kOptionSuppressGoAhead ||
         option == telnet::kOptionComPort;
}

bool Rfc2217Transport::peer_may(std::uint8_t option) {
  return option == telnet::kOptionBinary || option == telnet::kOptionSuppressGoAhead;
}

void Rfc2217Transport::handle_negotiation(std::uint8_t verb, std::uint8_t option) {
  // RFC 1143-style: answer only a change of state, never an acknowledgement, so no loops.
  switch (verb) {
    case telnet::kDo:
      if (ours_[option] == OptionState::On) return;
      if (ours_[option] == OptionState::Requested) {
        ours_[option] = OptionState::On;
      } else if (we_support(option)) {
        ours_[option] = OptionState::On;
        link_->write(telnet::negotiation(telnet::kWill, option));
      } else {
        link_->write(telnet::negotiation(telnet::kWont, option));
      }
      return;
    case telnet::kDont:
      if (option == telnet::kOptionComPort) com_port_refused_ = true;
      if (ours_[option] == OptionState::On) link_->write(telnet::negotiation(telnet::kWont, option));
      ours_[option] = OptionState::Off;
      return;
    case telnet::kWill:
      if (theirs_[option] == OptionState::On) return;
      if (theirs_[option] == OptionState::Requested) {
        theirs_[option] = OptionState::On;
      } else if (peer_may(option)) {
        theirs_[option] = OptionState::On;
        link_->write(telnet::negotiation(telnet::kDo, option));
      } else {
        link_->write(telnet::negotiation(telnet::kDont, option));
      }
      return;
    case telnet::kWont:
      if (theirs_[option] == OptionState::On) link_->write(telnet::negotiation(telnet::kDont, option));
      theirs_[option] = OptionState::Off;
      return;
    default: return;
  }
}

void Rfc2217Transport::handle(const telnet::Event& event) {
  switch (event.type) {
    case telnet::Event::Type::Negotiation: handle_negotiation(event.verb, event.option); return;
    case telnet::Event::Type::Subnegotiation:
      if (event.option != telnet::kOptionComPort || event.payload.empty()) return;
      if (event.payload[0] == rfc2217::kServerOffset + rfc2217::kSetBaudrate && event.payload.size() >= 5) {
        confirmed_baud_ = static_cast<std::uint32_t>(event.payload[1]) << 24 |
                          static_cast<std::uint32_t>(event.payload[2]) << 16 |
                          static_cast<std::uint32_t>(event.payload[3]) << 8 | event.payload[4];
      }
      return;
    case telnet::Event::Type::Command: return;
  }
}

bool Rfc2217Transport::pump(const Deadline& deadline) {
  std::uint8_t raw[4096];
  const std::size_t got = link_->read(raw, deadline);
  if (got == 0) return false;
  if (data_offset_ == data_.size()) {
    data_.clear();
    data_offset_ = 0;
  }
  std::vector<telnet::Event> events;
  decoder_.feed(ByteView(raw, got), data_, events);
  for (const auto& event : events) handle(event);
  return true;
}

std::size_t Rfc2217Transport::read(std::span<std::uint8_t> out, Deadline deadline) {
  if (out.empty()) return 0;
  while (data_offset_ == data_.size()) {
    if (!pump(deadline)) return 0;
  }
  const std::size_t count = std::min(out.size(), data_.size() - data_offset_);
  std::memcpy(out.data(), data_.data() + data_offset_, count);
  data_offset_ += count;
  return count;
}

void Rfc2217Transport::write(ByteView data) { link_->write(telnet::escape_data(data)); }

void Rfc2217Transport::drain_input() {
  send_command(rfc2217::kPurgeData, Bytes{rfc2217::kPurgeReceive});
  // Handle negotiation that is already here, but drop the data.
  while (pump(Deadline(std::chrono::milliseconds(0)))) {
  }
  data_.clear();
  data_offset_ = 0;
}

void Rfc2217Transport::set_baud(std::uint32_t baud) {
  if (baud == 0) throw BadInputError("transport.bad_baud", "baud rate 0 is not valid", "give a rate such as 115200");
  confirmed_baud_.reset();
  send_command(rfc2217::kSetBaudrate, be32(baud));
  baud_ = baud;
  const Deadline deadline(options_.negotiation_timeout);
  while (!confirmed_baud_) {
    if (!pump(deadline)) {
      log::get("transport")
          ->warn("{}: server did not confirm {} baud within {} ms", peer_, baud, options_.negotiation_timeout.count());
      return;
    }
  }
  if (*confirmed_baud_ != baud) {
    // RFC 2217: the server answers with the rate the port actually uses (an adapter that cannot
    // run `baud` runs another): that is the link's rate now.
    log::get("transport")->info("{}: asked for {} baud, the server's port runs at {}", peer_, baud, *confirmed_baud_);
    baud_ = *confirmed_baud_;
    return;
  }
  log::get("transport")->debug("{}: baud {} confirmed", peer_, baud);
}

bool Rfc2217Transport::set_control_lines(ControlLines lines) {
  if (lines.dtr)
    send_command(rfc2217::kSetControl, Bytes{*lines.dtr ? rfc2217::kControlDtrOn : rfc2217::kControlDtrOff});
  if (lines.rts)
    send_command(rfc2217::kSetControl, Bytes{*lines.rts ? rfc2217::kControlRtsOn : rfc2217::kControlRtsOff});
  return true;
}

}  // namespace espfab::transport
