#include "transport/open_transport.hpp"

#include <fmt/format.h>

#include <charconv>

#include "transport/rfc2217_transport.hpp"
#include "transport/serial_transport.hpp"
#include "transport/socket_transport.hpp"
#include "util/error.hpp"

namespace espfab::transport {

namespace {

constexpr const char* kUrlHint = "use a device path (/dev/ttyUSB0), socket://HOST:PORT or rfc2217://HOST:PORT";

BadInputError bad_url(const std::string& url, const std::string& why) {
  return BadInputError("transport.bad_url", fmt::format("port '{}' {}", url, why), kUrlHint);
}

void parse_host_port(const std::string& url, std::string_view rest, PortUrl& out) {
  const auto query = rest.find_first_of("?/");
  if (query != std::string_view::npos) rest = rest.substr(0, query);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with('[')) {  // [::1]:4000
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      throw bad_url(url, "has a malformed IPv6 address");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw bad_url(url, "has no port number");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw bad_url(url, "has no host");
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    throw bad_url(url, "has no valid port number (1-65535)");
  }
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(value);
}

}  // namespace

PortUrl parse_port_url(const std::string& url) {
  PortUrl out;
  const std::string_view text(url);
  if (text.empty()) throw bad_url(url, "is empty");
  if (text.starts_with("socket://")) {
    out.scheme = PortUrl::Scheme::Socket;
    parse_host_port(url, text.substr(9), out);
  } else if (text.starts_with("rfc2217://")) {
    out.scheme = PortUrl::Scheme::Rfc2217;
    parse_host_port(url, text.substr(10), out);
  } else if (text.starts_with("serial:")) {
    out.path = std::string(text.substr(7));
    if (out.path.empty()) throw bad_url(url, "names no device");
  } else if (text.find("://") != std::string_view::npos) {
    throw bad_url(url, "has an unknown scheme");
  } else {
    out.path = url;
  }
  return out;
}

std::unique_ptr<Transport> open_transport(const std::string& url, std::uint32_t baud) {
  const PortUrl parsed = parse_port_url(url);
  switch (parsed.scheme) {
    case PortUrl::Scheme::Serial: return SerialTransport::open(parsed.path, baud);
    case PortUrl::Scheme::Socket: {
      auto socket = SocketTransport::connect(parsed.host, parsed.port);
      socket->set_baud(baud);
      return socket;
    }
    case PortUrl::Scheme::Rfc2217: {
      Rfc2217Transport::Options options;
      options.baud = baud;
      return Rfc2217Transport::connect(parsed.host, parsed.port, options);
    }
  }
  throw bad_url(url, "has an unknown scheme");
}

}  // namespace espfab::transport
