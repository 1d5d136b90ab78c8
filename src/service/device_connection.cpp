#include "service/device_connection.hpp"

#include <algorithm>
#include <csignal>

#include "transport/open_transport.hpp"
#include "util/error.hpp"

namespace espfab::service {

DeviceConnection::DeviceConnection(const loader::ConnectionSettings& settings) {
  if (settings.port.empty()) {
    throw BadInputError("cli.no_port", "no port given",
                        "pass --port /dev/ttyUSB0 (or socket://HOST:PORT, rfc2217://HOST:PORT) or set ESPFAB_PORT");
  }
  std::signal(SIGPIPE, SIG_IGN);  // a dropped TCP link must be an error, not a silent exit
  link_ = transport::open_transport(settings.port, std::min(loader::kRomBaud, settings.baud));
  if (settings.auto_baud) {
    loader::BaudLadder ladder;
    baud_attempts_ = loader::open_auto_session(session_, *link_, settings, ladder);
  } else {
    loader::open_session(session_, *link_, settings);
  }
}

}  // namespace espfab::service
