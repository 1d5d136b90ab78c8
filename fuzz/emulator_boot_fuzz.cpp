// Fuzzes one device's own state, the way issue 21 item 4 found it: an eFuse image (espefuse's
// --virt layout) and flash contents from the input, then a normal boot and a reset into download
// mode; the control line parser gets the same bytes. Nothing may escape: a state the model cannot
// handle halts that device only (docs/emulator.md).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "emulator/control_command.hpp"
#include "emulator/virtual_device.hpp"

using namespace espfab;
using namespace espfab::emulator;

namespace {
constexpr std::uint32_t kFlashSize = 0x100000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const std::size_t efuse_bytes = std::min(size, EfuseController::kFileSize);
  DeviceConfig config;
  config.flash_size = kFlashSize;
  try {
    VirtualDevice device(config);
    device.efuse().load_file_image(input.first(efuse_bytes));
    // The rest is the flash from 0 (bootloader, partition table at 0x8000, apps), as far as it goes.
    const ByteView flash = input.subspan(efuse_bytes).first(std::min<std::size_t>(size - efuse_bytes, kFlashSize));
    if (!flash.empty()) device.flash().program(0, flash);
    (void)device.reset_normal_boot();
    (void)device.on_host_bytes(flash.first(std::min<std::size_t>(flash.size(), 256)));
    (void)device.reset_into_download();
  } catch (...) {
    std::abort();  // one device's state ended the process
  }
  (void)parse_control_command(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
