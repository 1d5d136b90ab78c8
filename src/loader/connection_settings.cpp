#include "loader/connection_settings.hpp"

#include <algorithm>

#include "transport/open_transport.hpp"

namespace espfab::loader {

SessionOptions session_options(const ConnectionSettings& settings) {
  SessionOptions options;
  options.connect.before = settings.before;
  options.connect.attempts = settings.attempts;
  options.connect.classic_only = transport::parse_port_url(settings.port).scheme == transport::PortUrl::Scheme::Rfc2217;
  options.baud = settings.baud;
  options.stub = settings.stub;
  return options;
}

void open_session(std::optional<Session>& slot, transport::Transport& link, const ConnectionSettings& settings,
                  std::function<void()> on_identified) {
  slot.reset();
  link.set_baud(std::min(kRomBaud, settings.baud));
  SessionOptions options = session_options(settings);
  options.on_identified = std::move(on_identified);
  slot.emplace(link, std::move(options));
}

}  // namespace espfab::loader
