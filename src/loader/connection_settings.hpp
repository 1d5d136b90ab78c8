// How a tool reaches a chip's loader, said once for the CLI's device commands and the station's
// fixtures (one connect path): the port's URL, the reset before connecting, the attempts, the rate
// for the session and the stub. session_options() applies the rules that depend on the kind of
// port, so no caller repeats them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "loader/reset.hpp"
#include "loader/session.hpp"
#include "loader/stub.hpp"

namespace espfab::loader {

// The ROM loader's rate: every connection starts here (the ROM auto-bauds on SYNC) and switches to
// the session's rate with CHANGE_BAUDRATE.
inline constexpr std::uint32_t kRomBaud = 115200;

struct ConnectionSettings {
  std::string port;  // a device path, rfc2217://HOST:PORT or socket://HOST:PORT
  BeforeReset before = BeforeReset::DefaultReset;
  unsigned attempts = 7;
  std::uint32_t baud = 921600;
  bool auto_baud = false;  // the rate comes from the ladder of auto_baud.hpp; `baud` is unused
  std::optional<StubImage> stub;
};

// The session options for `settings`: an rfc2217:// port resets with the classic DTR/RTS pair
// only (as esptool does there: the server's line changes arrive too coarsely timed for the
// other sequences); the link itself picks the USB-Serial/JTAG sequence for a default reset.
SessionOptions session_options(const ConnectionSettings& settings);

// Puts `link` back at the ROM rate (a previous session may have switched it) and opens a session
// in `slot` (Session is not movable: it holds the link).
// `on_identified`: SessionOptions::on_identified.
void open_session(std::optional<Session>& slot, transport::Transport& link, const ConnectionSettings& settings,
                  std::function<void()> on_identified = {});

}  // namespace espfab::loader
