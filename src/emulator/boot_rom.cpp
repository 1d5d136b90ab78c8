#include "emulator/boot_rom.hpp"

#include <fmt/format.h>

#include "chip/esp32s3.hpp"
#include "image/app_image.hpp"
#include "security/secure_boot_v2.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint8_t kImageMagic = 0xE9;
constexpr std::uint8_t kSignatureBlockMagic = 0xE7;
constexpr std::uint32_t kSectorSize = chip::kEsp32s3.flash_sector_size;
constexpr unsigned kInvalidHeaderRepeats = 3;
constexpr std::uint32_t kSavedPc = 0x40048a2d;  // any ROM address; real chips print where they were

const char* reset_text(ResetCause cause) {
  switch (cause) {
    case ResetCause::PowerOn: return "rst:0x1 (POWERON)";
    case ResetCause::Software: return "rst:0x3 (RTC_SW_SYS_RST)";
    case ResetCause::Watchdog: return "rst:0x7 (TG0WDT_SYS_RST)";
    case ResetCause::UsbUart: return "rst:0x15 (USB_UART_CHIP_RESET)";
  }
  return "";
}

const char* mode_text(std::uint8_t flash_mode) {
  switch (flash_mode) {
    case 0: return "QIO";
    case 1: return "QOUT";
    case 2: return "DIO";
    default: return "DOUT";
  }
}

// ROM Secure Boot V2 check of the bootloader: signed data = [0, ALIGN_UP(image end, 4 KiB)),
// followed by the signature sector.
bool verify_bootloader(const BootContext& context, BootConsole& console, const image::AppImage& image,
                       std::uint32_t limit) {
  const auto sector = static_cast<std::uint32_t>(align_up(std::uint64_t{image.image_size}, kSectorSize));
  if (std::uint64_t{sector} + kSectorSize > limit) {
    console.rom("secure boot verification failed");
    console.rom("ets_main.c 329");
    return false;
  }
  const Bytes signed_image = context.read(0, sector + kSectorSize);
  if (signed_image[sector] != kSignatureBlockMagic) {
    console.rom(fmt::format(
        "No signature block magic byte found at signature sector (found 0x{:02x} not 0xe7). Image not V2 signed?",
        signed_image[sector]));
    console.rom("secure boot verification failed");
    console.rom("ets_main.c 329");
    return false;
  }
  const auto result = security::verify_with_digests(signed_image, context.trusted_digests());
  if (!result.verified) {
    console.rom("secure boot verification failed");
    console.rom("ets_main.c 329");
    return false;
  }
  console.rom("Valid secure boot key blocks: 0");
  console.rom("secure boot verification succeeded");
  return true;
}

}  // namespace

bool run_rom_stage(const BootContext& context, BootConsole& console, ResetCause cause,
                   std::uint32_t partition_table_offset) {
  console.rom("ESP-ROM:esp32s3-20210327");
  console.rom("Build:Mar 27 2021");
  console.rom(fmt::format("{},boot:0x8 (SPI_FAST_FLASH_BOOT)", reset_text(cause)));
  if (cause != ResetCause::PowerOn) console.rom(fmt::format("Saved PC:0x{:08x}", kSavedPc));
  const Bytes head = context.read(0, partition_table_offset);
  if (head.size() < 4 || head[0] != kImageMagic) {
    const std::uint32_t word = head.size() >= 4 ? load_le32(head, 0) : 0xFFFFFFFFu;
    for (unsigned i = 0; i < kInvalidHeaderRepeats; ++i) console.rom(fmt::format("invalid header: 0x{:08x}", word));
    return false;
  }
  console.rom("SPIWP:0xee");
  console.rom(fmt::format("mode:{}, clock div:1", mode_text(head[2])));
  image::AppImage bootloader;
  try {
    bootloader = image::parse_app_image(head);
  } catch (const Error&) {
    // A header that starts right but does not parse: the ROM loads garbage and never reaches the
    // 2nd stage. Real chips then reset by watchdog; the model stops here.
    return false;
  }
  if (context.secure_boot_enabled() && !verify_bootloader(context, console, bootloader, partition_table_offset)) {
    return false;
  }
  for (const auto& segment : bootloader.segments) {
    console.rom(fmt::format("load:0x{:08x},len:0x{:x}", segment.load_address, segment.data.size()));
  }
  console.rom(fmt::format("entry 0x{:08x}", bootloader.header.entry_point));
  return true;
}

}  // namespace espfab::emulator
