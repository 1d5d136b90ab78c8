// One virtual ESP32-S3: its flash, eFuses, registers and loader, and its state directory
// (flash.bin, efuse.bin in espefuse's 512-byte --virt layout, efuse_hidden.bin for what RD_DIS
// hides). Resets choose download mode or normal boot, as the strapping pins would.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "emulator/boot_rom.hpp"
#include "emulator/command_handler.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/factory_test_faults.hpp"
#include "emulator/factory_test_firmware.hpp"
#include "emulator/hello_broker.hpp"
#include "emulator/register_space.hpp"
#include "emulator/rom_autobaud.hpp"
#include "emulator/spi_flash_controller.hpp"
#include "emulator/virtual_flash.hpp"

namespace espfab::emulator {

using MacAddress = std::array<std::uint8_t, 6>;

struct DeviceConfig {
  std::filesystem::path state_dir;  // empty: everything in memory, nothing persisted
  std::uint32_t flash_size = 8 * 1024 * 1024;
  MacAddress mac{0x7c, 0xdf, 0xa1, 0x00, 0x00, 0x00};  // factory MAC burned into a new device
  std::uint32_t initial_baud = 115200;
  DeviceFaults faults;  // what this device gets wrong (docs/emulator.md, Fault injection)
  // The production app's device hello after each normal boot (docs/emulator.md, Device hello);
  // none: the app does not touch the network.
  std::optional<HelloBroker> broker;
  // The flasher stubs MEM_END can start (known_stubs.hpp); unit tests give their own.
  std::span<const KnownStub> known_stubs = kPublishedStubs;
  // How long code MEM_END started but no known stub explains runs before the watchdog resets the
  // chip (a model figure: the spec has none; docs/emulator.md).
  std::chrono::milliseconds unknown_code_watchdog{1000};
  // The factory-test firmware a "factory-test" image runs; none: the emulator's own app
  // (factory_test_app.hpp). Tests put the reference C core of firmware/ here.
  FactoryTestFirmwareFactory factory_test_firmware;
};

class BootContext;
struct LoadedApp;
class BootConsole;
class HelloTask;

class VirtualDevice {
 public:
  enum class State { Download, Running };

  static constexpr const char* kFlashFile = "flash.bin";
  static constexpr const char* kEfuseFile = "efuse.bin";
  static constexpr const char* kEfuseHiddenFile = "efuse_hidden.bin";
  // The console line of a device whose model hit something it cannot handle in the device's own
  // data (the device then halts until its next reset; the process and other devices go on).
  static constexpr const char* kHaltLinePrefix = "espfab-emu: device halted: ";

  explicit VirtualDevice(DeviceConfig config);
  ~VirtualDevice();
  VirtualDevice(const VirtualDevice&) = delete;
  VirtualDevice& operator=(const VirtualDevice&) = delete;
  VirtualDevice(VirtualDevice&&) = delete;
  VirtualDevice& operator=(VirtualDevice&&) = delete;

  // Bytes from the host's TX line; returns what the chip's TX line sends back.
  Bytes on_host_bytes(ByteView in);
  // Reset with GPIO0 low: ROM download mode. Returns the ROM banner the chip prints.
  Bytes reset_into_download();
  // The entry point of unknown code MEM_END started (LoaderEvent::RunCode), while it runs.
  std::optional<std::uint32_t> running_code() const noexcept { return running_code_; }
  // The watchdog ends that code (config().unknown_code_watchdog after the jump; the link model
  // keeps the time): a system reset, so the straps latched at the last chip reset still select
  // download mode. Returns the ROM banner (rst:0x7 TG0WDT_SYS_RST, Saved PC). Nothing running: {}.
  Bytes watchdog_reset();
  // Reset with GPIO0 high: normal boot. Returns the console output of the boot (ROM, 2nd stage,
  // app start-up; docs/boot-behaviour.md), after which the app runs: bytes from the host
  // go to it line by line.
  Bytes reset_normal_boot();
  // The USB-Serial/JTAG controller's core reset (usb_serial_jtag.hpp): RTC_CNTL_OPTION1 survives it,
  // so the chip enters the ROM loader when the host asked for download mode now or earlier and
  // nobody cleared FORCE_DOWNLOAD_BOOT since; otherwise it boots from flash.
  Bytes usb_core_reset(bool download_requested);
  // Whether the chip's USB-Serial/JTAG device is on the USB pins (as the eFuses read at the last
  // reset say): not with DIS_USB_SERIAL_JTAG, nor with USB_PHY_SEL (the internal PHY goes to USB-OTG).
  bool usb_serial_jtag_enabled() const;
  // The host talks to the ROM over USB-Serial/JTAG: UARTDEV_BUF_NO reads 4.
  void set_console_usb_serial_jtag();
  void set_faults(DeviceFaults faults);
  // Console bytes the running app printed on its own since the last call (the device hello's
  // line, which a worker thread produces); empty when there are none. Event-loop thread only.
  Bytes take_app_output();
  // Called from the hello's worker thread once take_app_output has something: the server wakes
  // its loop. Set before the first normal boot.
  void set_app_output_notifier(std::function<void()> notify) { app_output_notifier_ = std::move(notify); }
  // Events the server must act on (baud changes); loader resets are already applied.
  std::vector<LoaderEvent> take_events();

  State state() const noexcept { return state_; }
  LoaderMode mode() const noexcept { return handler_.mode(); }
  // The chip's UART rate: 115200 after each reset, then CHANGE_BAUDRATE or the ROM's detection.
  std::uint32_t baud() const noexcept { return baud_; }
  void set_baud(std::uint32_t baud) noexcept { baud_ = baud; }
  // The host adapter's rate (RFC 2217 SET-BAUDRATE; rom_autobaud.hpp): bytes sent at a rate the
  // other end is not at are lost, except a SYNC to the ROM loader. None (socket://, pty: a byte
  // stream without a rate): every byte arrives.
  void set_line_baud(std::optional<std::uint32_t> baud) noexcept { line_baud_ = baud; }
  // The rate the host's adapter runs at: the rate the host set (none: it follows the chip), but
  // never above the adapter_max_baud knob (docs/emulator.md, "Adapter and cable").
  std::uint32_t adapter_baud() const noexcept;
  // Bytes the cable damaged (corrupt_above_baud), host to chip and chip to host.
  std::uint64_t corrupted_to_chip() const noexcept { return corrupted_rx_; }
  std::uint64_t corrupted_to_host() const noexcept { return corrupted_tx_; }
  const DeviceConfig& config() const noexcept { return config_; }

  EfuseController& efuse() noexcept { return efuse_; }
  VirtualFlash& flash() noexcept { return *flash_; }
  RegisterSpace& registers() noexcept { return registers_; }
  CommandHandler& handler() noexcept { return handler_; }

  // Writes the eFuse files if a program cycle happened since the last save.
  void persist();

 private:
  void load_efuses();
  Bytes boot(ResetCause cause);
  void run_boot(BootConsole& console, ResetCause cause);
  Bytes halt(const std::exception& error);
  // Download-mode entry after any reset; `reset_lines` follow the ROM's two version lines.
  Bytes enter_download(std::string_view reset_lines);
  void persist_or_log() noexcept;
  bool rates_differ() const noexcept { return adapter_baud() != baud_; }
  // What of the chip's output reaches the host: nothing while the rates differ; above the cable's
  // corruption threshold, damaged.
  Bytes to_line(Bytes out);
  // corrupt_above_baud: one byte in every corrupt_every crossing the line gets a bit flipped.
  bool cable_corrupts() const noexcept;
  void corrupt(std::span<std::uint8_t> bytes, std::uint64_t& count, std::uint64_t& damaged) const;
  Bytes on_app_bytes(ByteView in);
  void run_production_app(const BootContext& context, BootConsole& console, const LoadedApp& app);
  void stop_hello();

  DeviceConfig config_;
  EfuseController efuse_;
  std::unique_ptr<VirtualFlash> flash_;
  SpiFlashController spi_;
  RegisterSpace registers_;
  CommandHandler handler_;
  State state_ = State::Download;
  std::uint32_t baud_;
  std::optional<std::uint32_t> line_baud_;
  RomAutobaud autobaud_;
  unsigned saved_cycles_ = 0;
  std::vector<LoaderEvent> pending_events_;
  bool powered_on_ = false;                   // the first boot after start is a power-on reset
  std::unique_ptr<FactoryTestFirmware> app_;  // the running factory-test app, if that is what booted
  bool app_crashed_ = false;                  // boot_loop: the next input finds the app resetting
  std::string app_input_;                     // a partial line from the host
  std::uint64_t host_bytes_ = 0;              // since the last reset (drop_after)
  std::uint64_t noise_state_ = 0;             // bitflip's deterministic generator
  std::uint64_t cable_rx_ = 0;                // host bytes that crossed at a corrupting rate
  std::uint64_t cable_tx_ = 0;                // chip bytes that crossed at a corrupting rate
  std::uint64_t corrupted_rx_ = 0;
  std::uint64_t corrupted_tx_ = 0;
  unsigned burns_before_faults_ = 0;           // eFuse program cycles when the knobs were set (drop_after_burn)
  bool cable_cut_ = false;                     // drop_after_burn struck: silent, resets too, until the knobs change
  bool powered_off_ = false;                   // efuse_power_loss struck or halted: silent until the next reset
  std::optional<std::uint32_t> running_code_;  // unknown code MEM_END started, until the next reset
  std::function<void()> app_output_notifier_;
  std::unique_ptr<HelloTask> hello_;                  // this boot's device hello, if one runs
  std::vector<std::unique_ptr<HelloTask>> stopping_;  // of earlier boots: cancelled, not yet joined
};

// "7c:df:a1:00:00:01"
std::string format_mac(const MacAddress& mac);
// Parses "7c:df:a1:00:00:00" (':' or '-' separated); throws BadInputError.
MacAddress parse_mac(std::string_view text);
// base + index on the low 24 bits (the NIC part), as factories number consecutive MACs.
MacAddress mac_for_index(const MacAddress& base, std::uint32_t index);

}  // namespace espfab::emulator
