#include "loader/session.hpp"

#include <fmt/format.h>

#include "loader/device_info.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kUsbOtgBlock = 0x800;
constexpr std::uint32_t kRtcWdtWriteKey = 0x50D83AA1;
constexpr std::uint32_t kSwdWriteKey = 0x8F1D312A;
constexpr std::uint32_t kSwdAutoFeed = 1u << 31;
constexpr std::chrono::milliseconds kBaudSettle = 50ms;

}  // namespace

Session::Session(transport::Transport& link, SessionOptions options) : client_(link), options_(std::move(options)) {
  try {
    const ConnectResult connected = connect(client_, options_.connect);
    stub_was_running_ = connected.stub_detected;
    detected_ = detect_chip(client_);
    post_connect();
    if (options_.on_identified) options_.on_identified();
    if (options_.baud != link.baud()) change_baud(options_.baud);
    // Secure Download Mode refuses RAM downloads: the ROM loader serves as it is.
    if (options_.stub && !stub_running() && !detected_.secure_download_mode) {
      run_stub(client_, *options_.stub, ram_block_);
    }
    if (!stub_running()) client_.command(commands::spi_attach(0, true));
  } catch (Error& error) {
    error.with_context("connecting to " + link.describe());
    throw;
  }
}

void Session::post_connect() {
  if (detected_.secure_download_mode) return;
  const auto& reg = detected_.description->registers;
  const auto& usb = detected_.description->usb;
  const std::uint32_t uart = client_.read_reg(reg.uartdev_buf_no) & 0xFF;
  usb_otg_ = uart == usb.uartdev_buf_no_usb_otg;
  if (usb_otg_) ram_block_ = kUsbOtgBlock;
  if (uart == usb.uartdev_buf_no_usb_serial_jtag && !stub_running()) {
    // The RTC watchdog and the super watchdog would reset the chip mid-session over USB-Serial/JTAG.
    client_.write_reg(reg.rtc_cntl_wdtwprotect_reg, kRtcWdtWriteKey);
    client_.write_reg(reg.rtc_cntl_wdtconfig0_reg, 0);
    client_.write_reg(reg.rtc_cntl_wdtwprotect_reg, 0);
    client_.write_reg(reg.rtc_cntl_swd_wprotect_reg, kSwdWriteKey);
    const std::uint32_t swd = client_.read_reg(reg.rtc_cntl_swd_conf_reg);
    client_.write_reg(reg.rtc_cntl_swd_conf_reg, swd | kSwdAutoFeed);
    client_.write_reg(reg.rtc_cntl_swd_wprotect_reg, 0);
  }
}

std::uint32_t Session::flash_block() const {
  if (!stub_running()) return description().rom_flash_write_block;
  return usb_otg_ ? kUsbOtgBlock : kStubFlashBlockSize;
}

void Session::change_baud(std::uint32_t baud) {
  auto& link = client_.link();
  const std::uint32_t old = stub_running() ? link.baud() : 0;
  client_.command(commands::change_baudrate(baud, old));
  link.set_baud(baud);
  if (link.baud() != baud) {
    throw IoError("loader.baud_refused",
                  fmt::format("the port's adapter runs at {} baud, not the {} the chip switched to", link.baud(), baud),
                  fmt::format("use --baud {} or lower (or --baud auto); the adapter cannot go faster", link.baud()));
  }
  options_.connect.sleep(kBaudSettle);
  client_.drain();
  log::get("loader")->debug("{}: now at {} baud", link.describe(), baud);
}

std::uint32_t Session::flash_id() {
  if (!flash_id_) flash_id_ = read_flash_id(client_, description());
  return *flash_id_;
}

std::optional<std::uint32_t> Session::flash_size() { return flash_size_from_id(flash_id()); }

void Session::prepare_flash() {
  if (flash_prepared_ || detected_.secure_download_mode) return;
  if (const auto size = flash_size()) client_.command(commands::spi_set_params(*size));
  flash_prepared_ = true;
}

void Session::finish(AfterReset after) {
  switch (after) {
    case AfterReset::HardReset:
      try {
        if (const auto& force = description().usb.force_download_boot) {
          client_.write_reg(force->reg, 0, force->mask);  // clear force-download boot
        }
      } catch (const Error& error) {
        log::get("loader")->debug("clearing force-download boot failed: {}", error.message());
      }
      if (!run_reset(client_.link(), hard_reset(), options_.connect.sleep)) {
        log::get("loader")->info("{}: cannot reset the chip over this link; it stays in the loader",
                                 client_.link().describe());
      }
      return;
    case AfterReset::NoReset:
      if (stub_running()) {
        client_.command(commands::flash_begin(0, 0, kStubFlashBlockSize, 0, std::nullopt, kDefaultTimeout));
        client_.command(commands::flash_end(true));  // the stub replies, then resets into the ROM loader
        client_.set_mode(LoaderMode::Rom);
      }
      return;
    case AfterReset::NoResetStub: return;
  }
}

}  // namespace espfab::loader
