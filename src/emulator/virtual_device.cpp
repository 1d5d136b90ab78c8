#include "emulator/virtual_device.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>

#include "chip/esp32c3.hpp"
#include "chip/esp32s3.hpp"
#include "emulator/boot_app.hpp"
#include "emulator/boot_context.hpp"
#include "emulator/boot_loader.hpp"
#include "emulator/boot_rom.hpp"
#include "emulator/factory_test_app.hpp"
#include "emulator/hello_task.hpp"
#include "emulator/slip.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/log.hpp"

namespace espfab::emulator {
namespace {

constexpr std::string_view kRomBanner =
    "ESP-ROM:esp32s3-20210327\r\n"
    "Build:Mar 27 2021\r\n";

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// What a wrong chip in the fixture answers: the ESP32-C3's first chip-detect magic and its chip id.
constexpr std::uint32_t kEsp32c3ChipMagic = chip::kEsp32c3.chip_detect_magics[0];
constexpr std::uint32_t kEsp32c3ChipId = chip::kEsp32c3.security_info_chip_id;
constexpr std::uint32_t kEsp32s3ChipId = chip::kEsp32s3.security_info_chip_id;
// UARTDEV_BUF_NO when the ROM loader serves USB-Serial/JTAG (docs/serial-protocol.md §5.2).
constexpr std::uint32_t kUartDevUsbSerialJtag = chip::kEsp32s3.usb.uartdev_buf_no_usb_serial_jtag;

std::unique_ptr<VirtualFlash> open_flash(const DeviceConfig& config) {
  if (config.state_dir.empty()) return std::make_unique<VirtualFlash>(config.flash_size);
  std::filesystem::create_directories(config.state_dir);
  return std::make_unique<VirtualFlash>(config.state_dir / VirtualDevice::kFlashFile, config.flash_size);
}

}  // namespace

VirtualDevice::VirtualDevice(DeviceConfig config)
    : config_(std::move(config)),
      flash_(open_flash(config_)),
      spi_(*flash_, FlashIdentity::for_size(config_.flash_size)),
      registers_(efuse_, spi_),
      handler_(registers_, efuse_, *flash_, config_.known_stubs),
      baud_(config_.initial_baud) {
  load_efuses();
  set_faults(config_.faults);
  reset_into_download();
}

VirtualDevice::~VirtualDevice() {
  try {
    persist();
  } catch (const Error& e) {
    log::get("emulator")->error("could not save eFuse state: {}", e.describe());
  }
}

void VirtualDevice::load_efuses() {
  const auto file = config_.state_dir / kEfuseFile;
  if (config_.state_dir.empty() || !std::filesystem::exists(file)) {
    efuse_.factory_program(config_.mac);
    saved_cycles_ = 0;
    if (!config_.state_dir.empty()) {
      saved_cycles_ = ~0u;  // force the first save
      persist();
    }
    return;
  }
  const Bytes image = read_file(file);
  efuse_.load_file_image(image);
  const auto hidden = config_.state_dir / kEfuseHiddenFile;
  if (std::filesystem::exists(hidden)) efuse_.load_hidden_state(read_file(hidden));
  saved_cycles_ = efuse_.program_cycles();
  // Killed between the two writes of persist(): the file espefuse reads catches up.
  if (efuse_.file_image() != image) write_file_atomic(file, efuse_.file_image());
}

void VirtualDevice::persist() {
  flash_->sync();
  if (config_.state_dir.empty() || saved_cycles_ == efuse_.program_cycles()) return;
  // The hidden record holds every raw bit and the check bytes, so it goes first: an emulator killed
  // between the two writes comes back with the new state whole (load_efuses), never with the new
  // data and the old check bytes (a key block that reads with RS errors no real burn left).
  write_file_atomic(config_.state_dir / kEfuseHiddenFile, efuse_.hidden_state(), 0600);
  write_file_atomic(config_.state_dir / kEfuseFile, efuse_.file_image());
  saved_cycles_ = efuse_.program_cycles();
}

void VirtualDevice::persist_or_log() noexcept {
  try {
    persist();
  } catch (const std::exception& error) {
    // The chip burned its eFuses either way; only the state file lags (it is written again after
    // the next program cycle and at exit).
    log::get("emulator")->error("could not save eFuse state: {}", error.what());
  }
}

// Anything the model cannot handle in one device's data stops that device, as a chip that hangs:
// one console line, then nothing until the next reset. The process and the other devices go on.
Bytes VirtualDevice::halt(const std::exception& error) {
  log::get("emulator")->error("device {} halted: {}", format_mac(config_.mac), error.what());
  stop_hello();
  app_.reset();
  powered_off_ = true;
  return text(fmt::format("{}{}\r\n", kHaltLinePrefix, error.what()));
}

void VirtualDevice::set_faults(DeviceFaults faults) {
  config_.faults = std::move(faults);
  registers_.set_chip_magic(config_.faults.wrong_chip ? kEsp32c3ChipMagic : chip::kEsp32s3.chip_detect_magics[0]);
  handler_.set_reported_chip_id(config_.faults.wrong_chip ? kEsp32c3ChipId : kEsp32s3ChipId);
  efuse_.interrupt_program_cycle(config_.faults.efuse_power_loss);
  burns_before_faults_ = efuse_.program_cycles();
  cable_cut_ = false;
  spi_.set_absent(config_.faults.no_flash);
  handler_.set_flash_absent(config_.faults.no_flash);
}

std::uint32_t VirtualDevice::adapter_baud() const noexcept {
  const std::uint32_t wanted = line_baud_.value_or(baud_);
  const auto& max = config_.faults.adapter_max_baud;
  return max && wanted > *max ? *max : wanted;
}

bool VirtualDevice::cable_corrupts() const noexcept {
  const auto& above = config_.faults.corrupt_above_baud;
  return above && baud_ > *above && !rates_differ();
}

void VirtualDevice::corrupt(std::span<std::uint8_t> bytes, std::uint64_t& count, std::uint64_t& damaged) const {
  // Deterministic: the Nth, 2Nth, ... byte that crossed at a corrupting rate (offset by the MAC,
  // so devices differ), one bit each, the bit picked by a hash of the count (a regular pattern
  // would cancel out in XOR checksums, which real noise does not do reliably).
  const std::uint64_t every = std::max<std::uint32_t>(config_.faults.corrupt_every, 1);
  const std::uint64_t phase = config_.mac[5] % every;
  for (auto& byte : bytes) {
    ++count;
    if ((count + phase) % every != 0) continue;
    std::uint64_t mix = (count + phase) * 0x9E3779B97F4A7C15ULL;
    mix ^= mix >> 31;
    byte = static_cast<std::uint8_t>(byte ^ (1u << ((mix >> 29) & 7)));
    ++damaged;
  }
}

Bytes VirtualDevice::to_line(Bytes out) {
  if (rates_differ() || cable_cut_) return {};
  if (cable_corrupts()) corrupt(out, cable_tx_, corrupted_tx_);
  return out;
}

Bytes VirtualDevice::on_host_bytes(ByteView in) {
  if (powered_off_ || cable_cut_) return {};
  const auto& faults = config_.faults;
  Bytes damaged;
  if (cable_corrupts()) {
    damaged.assign(in.begin(), in.end());
    corrupt(damaged, cable_rx_, corrupted_rx_);
    in = damaged;
  }
  Bytes noisy;
  if (faults.drop_after || faults.bitflip_ppm) {
    noisy.assign(in.begin(), in.end());
    if (faults.drop_after) {
      const std::uint64_t room = *faults.drop_after > host_bytes_ ? *faults.drop_after - host_bytes_ : 0;
      if (noisy.size() > room) noisy.resize(static_cast<std::size_t>(room));  // the cable is gone
    }
    host_bytes_ += in.size();
    for (auto& byte : noisy) {
      noise_state_ = noise_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      if ((noise_state_ >> 33) % 1'000'000 < faults.bitflip_ppm) {
        byte = static_cast<std::uint8_t>(byte ^ (1u << ((noise_state_ >> 20) & 7)));
      }
    }
    in = noisy;
    if (in.empty()) return {};
  }
  Bytes detected;
  if (rates_differ()) {
    // Framing errors: nothing arrives, unless the ROM loader measures a SYNC and takes its rate.
    if (state_ != State::Download || handler_.mode() != LoaderMode::Rom) return {};
    const auto sync = autobaud_.feed(in);
    if (!sync) return {};
    baud_ = adapter_baud();
    detected = slip_encode(*sync);
    in = detected;
  }
  if (state_ != State::Download) {
    try {
      return to_line(on_app_bytes(in));
    } catch (const std::exception& error) {
      return to_line(halt(error));
    }
  }
  const unsigned before = efuse_.program_cycles();
  Bytes out = handler_.on_bytes(in);  // answers a command that fails inside with its error status
  if (efuse_.program_cycles() != before) persist_or_log();
  if (efuse_.take_power_loss()) {
    powered_off_ = true;  // the chip died in the middle of the cycle: no reply, nothing more
    return {};
  }
  if (faults.drop_after_burn && efuse_.program_cycles() - burns_before_faults_ >= *faults.drop_after_burn) {
    cable_cut_ = true;  // the burn took; its reply, and everything after, is lost
    return {};
  }
  for (const LoaderEvent& event : handler_.take_events()) {
    if (event.kind == LoaderEvent::Kind::BaudChange) pending_events_.push_back(event);
    if (event.kind == LoaderEvent::Kind::RunCode) {
      running_code_ = event.value;
      pending_events_.push_back(event);  // the link model arms the watchdog
    }
    if (event.kind == LoaderEvent::Kind::ExitLoader) {
      log::get("emulator")
          ->info(
              "loader exit requested; staying in download mode until a reset with GPIO0 high (RTS or the control "
              "channel)");
    }
  }
  return to_line(std::move(out));
}

std::vector<LoaderEvent> VirtualDevice::take_events() {
  std::vector<LoaderEvent> events;
  events.swap(pending_events_);
  return events;
}

Bytes VirtualDevice::reset_into_download() {
  registers_.set_force_download_boot(false);  // the EN pin resets the RTC domain too
  return enter_download("rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\n");
}

Bytes VirtualDevice::watchdog_reset() {
  if (!running_code_) return {};
  // docs/boot-behaviour.md §1.1: TG0WDT_SYS_RST (0x7) ends a hung chip; "Saved PC:" follows every
  // reset that is not a power-on. The model's saved PC is the entry point it jumped to.
  return enter_download(
      fmt::format("rst:0x7 (TG0WDT_SYS_RST),boot:0x0 (DOWNLOAD(USB/UART0))\r\nSaved PC:0x{:08x}\r\n", *running_code_));
}

Bytes VirtualDevice::enter_download(std::string_view reset_lines) {
  stop_hello();
  running_code_.reset();
  state_ = State::Download;
  powered_off_ = false;
  host_bytes_ = 0;
  efuse_.reload();  // a reset loads the eFuse read registers, which the ROM then checks
  handler_.reset();
  registers_.reset();
  registers_.set_strapping(0x0);  // GPIO0 low
  baud_ = config_.initial_baud;
  autobaud_.reset();
  std::string banner(kRomBanner);
  banner += reset_lines;
  // DIS_DOWNLOAD_MODE: the ROM runs no loader (its message for that is not in the spec).
  if (handler_.mode() != LoaderMode::DownloadDisabled) banner += "waiting for download\r\n";
  return to_line(text(banner));
}

Bytes VirtualDevice::reset_normal_boot() {
  registers_.set_force_download_boot(false);
  return boot(powered_on_ ? ResetCause::Software : ResetCause::PowerOn);
}

Bytes VirtualDevice::usb_core_reset(bool download_requested) {
  if (download_requested) registers_.set_force_download_boot(true);
  if (registers_.force_download_boot()) {
    // GPIO0 is not sampled again (esptool#970): the strapping word still reads "high".
    return enter_download("rst:0x15 (USB_UART_CHIP_RESET),boot:0x8 (DOWNLOAD(USB/UART0))\r\n");
  }
  return boot(ResetCause::UsbUart);
}

bool VirtualDevice::usb_serial_jtag_enabled() const {
  return efuse_.read_field(chip::esp32s3_efuse::DIS_USB_SERIAL_JTAG) == 0 &&
         efuse_.read_field(chip::esp32s3_efuse::USB_PHY_SEL) == 0;
}

void VirtualDevice::set_console_usb_serial_jtag() { registers_.set_uart_dev_buf_no(kUartDevUsbSerialJtag); }

Bytes VirtualDevice::boot(ResetCause cause) {
  BootConsole console;
  Bytes halted;
  try {
    run_boot(console, cause);
  } catch (const std::exception& error) {
    halted = halt(error);  // after the lines the chip printed before it stopped
  }
  std::string out;
  for (const auto& line : console.lines()) {
    out += line;
    out += "\r\n";
  }
  Bytes bytes = text(out);
  bytes.insert(bytes.end(), halted.begin(), halted.end());
  return to_line(std::move(bytes));
}

void VirtualDevice::run_boot(BootConsole& console, ResetCause cause) {
  stop_hello();
  running_code_.reset();
  state_ = State::Running;
  powered_off_ = false;
  host_bytes_ = 0;
  powered_on_ = true;
  efuse_.reload();
  handler_.reset();
  registers_.reset();
  registers_.set_strapping(0x8);  // GPIO0 high
  baud_ = config_.initial_baud;
  app_.reset();
  app_crashed_ = false;
  app_input_.clear();
  // Without a flash chip the ROM reads all ones.
  std::optional<VirtualFlash> no_flash;
  if (config_.faults.no_flash) no_flash.emplace(flash_->size());
  const BootContext context(no_flash ? *no_flash : *flash_, efuse_);
  if (!run_rom_stage(context, console, cause)) return;
  const auto loaded = run_second_stage(context, console);
  if (!loaded) return;
  const std::string project = run_app_startup(context, console, *loaded);
  if (project == kFactoryTestProject) {
    FactoryTestDevice facts;
    facts.mac = format_mac(efuse_.mac());
    facts.flash_size = config_.flash_size;
    if (loaded->image.app_descriptor) facts.version = loaded->image.app_descriptor->version;
    FactoryTestBoard board(std::move(facts), config_.faults.factory_test);
    if (config_.factory_test_firmware) {
      app_ = config_.factory_test_firmware(std::move(board));
    } else {
      app_ = std::make_unique<FactoryTestApp>(std::move(board));
    }
    console.rom(app_->ready_line());
    app_crashed_ = config_.faults.factory_test.boot_loop;
  } else {
    run_production_app(context, console, *loaded);
  }
}

// The production firmware: its identity line, then (with a broker configured) the device hello
// on a worker thread; its line comes later through take_app_output.
void VirtualDevice::run_production_app(const BootContext& context, BootConsole& console, const LoadedApp& app) {
  auto secure_cert = read_secure_cert(context, app.table);
  // A DS identity (no private key in the partition): the TLS key signs on the chip's DS.
  const auto ds_identity = secure_cert ? std::nullopt : read_secure_cert_ds(context, app.table);
  const std::string_view device_cert = secure_cert   ? std::string_view(secure_cert->device_cert)
                                       : ds_identity ? std::string_view(ds_identity->device_cert)
                                                     : std::string_view();
  const auto identity = identity_of_certificate(device_cert);
  if (!identity) {
    console.warn("espfab_identity", "no device certificate in esp_secure_cert partition");
    console.info("main_task", "Returned from app_main()");
    return;
  }
  console.info("espfab_identity",
               fmt::format("serial={} cert_sha256={} flash_encryption={} secure_boot={}", identity->serial,
                           identity->cert_sha256, context.flash_encryption_enabled() ? "on" : "off",
                           context.secure_boot_enabled() ? "on" : "off"));
  if (config_.broker) {
    HelloMessage message;
    message.serial = identity->serial;
    message.mac = format_mac(efuse_.mac());
    if (app.image.app_descriptor) message.app_version = app.image.app_descriptor->version;
    message.certificate_pem = std::string(device_cert);
    if (secure_cert) {
      message.key_pem = std::move(secure_cert->private_key);
      message.key_flags = secure_cert->private_key_flags;
    } else {
      try {
        message.ds_key = DeviceDsKey::make(efuse_, *ds_identity);
      } catch (const Error& error) {
        console.warn("espfab_identity", "DS key: " + error.message());
      }
    }
    hello_ = std::make_unique<HelloTask>(*config_.broker, std::move(message), app_output_notifier_);
  }
  console.info("main_task", "Returned from app_main()");
}

// A reset ends the running app: its hello is cancelled, its line never printed. Joining waits
// for nothing: finished workers are joined now, the others when they have stopped.
void VirtualDevice::stop_hello() {
  if (hello_) {
    hello_->cancel();
    stopping_.push_back(std::move(hello_));
  }
  std::erase_if(stopping_, [](const std::unique_ptr<HelloTask>& task) { return task->done(); });
}

Bytes VirtualDevice::take_app_output() {
  std::erase_if(stopping_, [](const std::unique_ptr<HelloTask>& task) { return task->done(); });
  if (!hello_ || state_ != State::Running) return {};
  const auto line = hello_->take_line();
  if (!line) return {};
  hello_.reset();  // done: the join is immediate
  return to_line(text(*line + "\r\n"));
}

Bytes VirtualDevice::on_app_bytes(ByteView in) {
  if (!app_) return {};  // the production app does not read its console
  app_input_.append(in.begin(), in.end());
  Bytes out;
  std::size_t newline = 0;
  while ((newline = app_input_.find('\n')) != std::string::npos) {
    std::string line = app_input_.substr(0, newline);
    app_input_.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (app_crashed_) return boot(ResetCause::Software);  // boot_loop: the app resets instead of answering
    const auto& hang_on = config_.faults.factory_test.hang_on;
    if (!hang_on.empty() && request_command(line) == hang_on) continue;  // that test never returns
    for (const auto& reply : app_->handle_line(line)) {
      out.insert(out.end(), reply.begin(), reply.end());
      out.push_back('\r');
      out.push_back('\n');
    }
    if (app_->reset_requested()) {
      const Bytes console = boot(ResetCause::Software);
      out.insert(out.end(), console.begin(), console.end());
      return out;
    }
  }
  return out;
}

std::string format_mac(const MacAddress& mac) {
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i) out += ':';
    out += to_hex(ByteView(&mac[i], 1));
  }
  return out;
}

MacAddress parse_mac(std::string_view text_mac) {
  Bytes bytes;
  try {
    std::string cleaned(text_mac);
    for (char& c : cleaned) {
      if (c == '-') c = ':';
    }
    bytes = from_hex(cleaned);
  } catch (const BadInputError&) {
    bytes.clear();
  }
  if (bytes.size() != 6) {
    throw BadInputError("emulator.bad_mac", "'" + std::string(text_mac) + "' is not a MAC address",
                        "write six hex bytes separated by ':', e.g. 7c:df:a1:00:00:00");
  }
  MacAddress mac{};
  std::copy(bytes.begin(), bytes.end(), mac.begin());
  return mac;
}

MacAddress mac_for_index(const MacAddress& base, std::uint32_t index) {
  std::uint32_t nic = static_cast<std::uint32_t>(base[3]) << 16 | static_cast<std::uint32_t>(base[4]) << 8 | base[5];
  nic = (nic + index) & 0xFFFFFF;
  MacAddress mac = base;
  mac[3] = static_cast<std::uint8_t>(nic >> 16);
  mac[4] = static_cast<std::uint8_t>(nic >> 8);
  mac[5] = static_cast<std::uint8_t>(nic);
  return mac;
}

}  // namespace espfab::emulator
