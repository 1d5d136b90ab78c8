// Recognising an Espressif USB-Serial/JTAG port, as esptool does by its USB ID (303a:1001, a chip
// fact: ChipDescription::usb) to choose the USB reset sequence for --before default_reset.
#pragma once

#include <string>

namespace espfab::transport {

// udev's /dev/serial/by-id name of such a port starts with this (then the MAC, then "-if00");
// espfab-emu --protocol usb names its ports the same way.
inline constexpr const char* kUsbSerialJtagByIdPrefix = "usb-Espressif_USB_JTAG_serial_debug_unit";

// True when `path` (a device node or a link to one) is a USB-Serial/JTAG port: its USB device in
// sysfs is the USB-Serial/JTAG id of a described chip (chip/descriptions.hpp), or its by-id name
// says so.
bool is_usb_serial_jtag_port(const std::string& path);

}  // namespace espfab::transport
