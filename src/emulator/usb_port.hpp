// One device's USB-Serial/JTAG port as a Linux host sees it (docs/emulator.md, "USB-Serial/JTAG"):
// a tty that exists only while the device is enumerated, under a stable name in a by-id
// directory (usb-Espressif_USB_JTAG_serial_debug_unit_<MAC>-if00, as udev names it in
// /dev/serial/by-id). Here the tty is a pty; a chip reset unplugs it (the host's open file reads
// EOF) and a later plug() makes a new one and points the by-id link at it.
//
// A pty cannot carry DTR and RTS, which the host's CDC-ACM driver would send to the chip as
// SET_CONTROL_LINE_STATE. The preload library libespfab-emu-usb-lines.so plays that driver: it
// turns the host's modem-line ioctls on this pty into requests on an abstract Unix socket named
// after the pty (usb_lines_wire.hpp), which this port accepts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "emulator/usb_serial_jtag.hpp"
#include "util/unique_fd.hpp"

namespace espfab::emulator {

class UsbPort {
 public:
  // `serial`: the USB serial string, the MAC in capitals ("7C:DF:A1:00:00:00").
  UsbPort(const std::filesystem::path& by_id_dir, const std::string& serial);
  ~UsbPort();
  UsbPort(const UsbPort&) = delete;
  UsbPort& operator=(const UsbPort&) = delete;
  UsbPort(UsbPort&&) = delete;
  UsbPort& operator=(UsbPort&&) = delete;

  // Enumerates: a new raw pty, the by-id link pointed at it (replaced atomically) and the
  // line-state socket. Returns the pty master (non-blocking); the port keeps the slave open so
  // the master never reads a hang-up while no host has the tty open.
  UniqueFd plug();
  // The device leaves the bus: the link, the slave and the line-state socket go.
  void unplug();
  bool present() const noexcept { return static_cast<bool>(slave_); }

  const std::filesystem::path& link_path() const noexcept { return link_; }
  const std::string& tty() const noexcept { return tty_; }
  int lines_listener() const noexcept { return lines_.get(); }

  // One request of the preload library: the lines it asks for (a query asks for `current`), and
  // the connection to answer on once the request took effect.
  struct LinesRequest {
    UniqueFd connection;
    UsbLines lines;
  };
  std::optional<LinesRequest> accept_lines_request(UsbLines current);
  static void answer(LinesRequest& request, UsbLines now);

 private:
  std::filesystem::path link_;
  std::string tty_;
  UniqueFd slave_;
  UniqueFd lines_;
};

// A new by-id directory under the temporary directory (espfab-emu-usb-XXXXXX/by-id), for an
// emulator without --state-dir or --usb-dir.
std::filesystem::path make_usb_dir();
// libespfab-emu-usb-lines.so beside the running executable.
std::filesystem::path usb_lines_library();

}  // namespace espfab::emulator
