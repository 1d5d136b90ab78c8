#include "transport/usb_serial_jtag_port.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "chip/descriptions.hpp"

namespace espfab::transport {
namespace {

std::string first_word(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string word;
  in >> word;
  return word;
}

}  // namespace

bool is_usb_serial_jtag_port(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::path(path).filename().string().starts_with(kUsbSerialJtagByIdPrefix)) return true;
  std::error_code error;
  const fs::path node = fs::canonical(path, error);
  if (error) return false;
  // /sys/class/tty/ttyACM0/device is the USB interface; its parent holds the device's IDs.
  const fs::path device = fs::path("/sys/class/tty") / node.filename() / "device" / "..";
  const std::string vendor = first_word(device / "idVendor");
  const std::string product = first_word(device / "idProduct");
  for (const chip::ChipDescription* chip : chip::kDescriptions) {
    // sysfs spells the ids as four lower-case hex digits.
    if (vendor == fmt::format("{:04x}", chip->usb.serial_jtag_vid) &&
        product == fmt::format("{:04x}", chip->usb.serial_jtag_pid)) {
      return true;
    }
  }
  return false;
}

}  // namespace espfab::transport
