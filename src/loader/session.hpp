// A ready-to-use connection to one chip, in the order that keeps the wire busy the least:
// connect (reset + SYNC) -> detect and refuse a wrong chip -> CHANGE_BAUDRATE (the ROM supports
// it, so the stub upload and every bulk transfer already run fast) -> optional stub upload ->
// SPI attach (ROM). The flash layer calls prepare_flash() before its first operation. finish() applies the --after
// action.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "loader/chip_detect.hpp"
#include "loader/client.hpp"
#include "loader/connect.hpp"
#include "loader/stub.hpp"

namespace espfab::loader {

struct SessionOptions {
  ConnectOptions connect;
  std::uint32_t baud = 115200;    // rate for the session after connecting at the link's rate
  std::optional<StubImage> stub;  // upload this stub unless one already runs
  // Called once the chip answered and was identified, before the rate changes (auto_baud.hpp
  // tells "no chip" from "not at this rate" by it).
  std::function<void()> on_identified;
};

class Session {
 public:
  // Connects and prepares; throws on any failure (the error names the link).
  Session(transport::Transport& link, SessionOptions options);

  LoaderClient& client() { return client_; }
  const DetectedChip& chip() const { return detected_; }
  const chip::ChipDescription& description() const { return *detected_.description; }
  bool stub_running() const { return client_.mode() == LoaderMode::Stub; }
  bool stub_was_running() const { return stub_was_running_; }
  // MEM_DATA / stub FLASH_*_DATA block size (smaller over USB-OTG).
  std::uint32_t ram_block() const { return ram_block_; }
  std::uint32_t flash_block() const;

  // JEDEC id and size of the attached flash (read once, cached).
  std::uint32_t flash_id();
  std::optional<std::uint32_t> flash_size();
  // Tells the loader the attached flash's size (SPI_SET_PARAMS from the JEDEC id, as esptool does
  // before flash operations), once per session; every flash operation (flash/) calls it first, so
  // the CLI and the station send the same commands. Nothing in Secure Download Mode (register
  // reads are refused there) or when the id names no size.
  void prepare_flash();

  // Switches the link and the chip to `baud` (CHANGE_BAUDRATE, then the host side). Throws
  // IoError loader.baud_refused when the host's adapter reports another rate (an RFC 2217 server
  // answers SET-BAUDRATE with the rate it uses): the chip is then at a rate the host cannot reach.
  void change_baud(std::uint32_t baud);

  // --after: hard_reset (clear force-download, pulse EN), no_reset (a running stub is told to
  // return to the ROM), no_reset_stub (leave it).
  void finish(AfterReset after);

 private:
  void post_connect();

  LoaderClient client_;
  SessionOptions options_;
  DetectedChip detected_;
  bool stub_was_running_ = false;
  bool usb_otg_ = false;
  std::uint32_t ram_block_ = kRamBlockSize;
  std::optional<std::uint32_t> flash_id_;
  bool flash_prepared_ = false;
};

}  // namespace espfab::loader
