// Chooses and opens a transport by URL, as esptool users write ports:
//   /dev/ttyUSB0 (or serial:/dev/ttyUSB0)   local serial device
//   socket://host:port                      raw TCP (no baud, no control lines)
//   rfc2217://host:port                     RFC 2217 serial server
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "transport/transport.hpp"

namespace espfab::transport {

struct PortUrl {
  enum class Scheme { Serial, Socket, Rfc2217 };
  Scheme scheme = Scheme::Serial;
  std::string path;  // Serial
  std::string host;  // Socket, Rfc2217
  std::uint16_t port = 0;
};

// Throws BadInputError with the accepted forms when the URL cannot be used.
PortUrl parse_port_url(const std::string& url);

std::unique_ptr<Transport> open_transport(const std::string& url, std::uint32_t baud);

}  // namespace espfab::transport
