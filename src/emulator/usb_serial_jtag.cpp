#include "emulator/usb_serial_jtag.hpp"

namespace espfab::emulator {

std::optional<UsbCoreReset> UsbSerialJtagLines::set(UsbLines lines) {
  const UsbLines before = lines_;
  lines_ = lines;
  const bool reset_asserted = lines.rts && !lines.dtr;
  if (reset_asserted && !in_reset_) {
    in_reset_ = true;
    download_ = before.dtr;  // entered through (1,1): the download request
    return std::nullopt;
  }
  if (!reset_asserted && in_reset_) {
    in_reset_ = false;
    return UsbCoreReset{download_};
  }
  return std::nullopt;
}

}  // namespace espfab::emulator
