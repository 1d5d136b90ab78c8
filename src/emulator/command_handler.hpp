// The ROM download loader and the flasher stub of one virtual ESP32-S3, as a state machine:
// request frames in, response frames out. No I/O, no clock: servers and tests feed bytes and send
// what comes back, so the protocol is unit-testable and fuzzable.
//
// ROM mode: 4-byte status trailer [failed, code, 0, 0], SYNC value != 0. MEM_BEGIN/MEM_DATA store
// bytes in the chip's RAM (register_space.hpp). MEM_END with an entry point sends its reply, then
// jumps: if RAM holds a published flasher stub that starts there (known_stubs.hpp), the OHAI frame
// follows and the handler answers as the stub: 2-byte status [code, 0], SYNC value 0, 0x4000
// blocks, binary MD5, ERASE_*, READ_FLASH with ack flow control. The stub's code is not executed;
// its protocol is. Any other code: the handler goes silent (UserCode) and asks the device for a
// watchdog reset (LoaderEvent::RunCode). docs/serial-protocol.md §2-§4.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "chip/esp32s3.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/flash_writer.hpp"
#include "emulator/known_stubs.hpp"
#include "emulator/loader_protocol.hpp"
#include "emulator/register_space.hpp"
#include "emulator/slip.hpp"
#include "emulator/virtual_flash.hpp"

namespace espfab::emulator {

// UserCode: MEM_END started code the emulator does not know; nothing answers until a reset.
// DownloadDisabled: DIS_DOWNLOAD_MODE is in the eFuse read registers; the ROM runs no loader.
enum class LoaderMode { Rom, Stub, UserCode, DownloadDisabled };

// Things the handler asks of the device around it, in order; taken with take_events().
struct LoaderEvent {
  enum class Kind {
    BaudChange,  // value = new baud; applies after the reply just produced
    SoftReset,   // stub FLASH_END(0): the chip resets into ROM download mode (already done here)
    ExitLoader,  // ROM FLASH_END/FLASH_DEFL_END or stub RUN_USER_CODE: leave download mode
    RunCode,     // value = entry: MEM_END jumped into code no known stub explains (mode UserCode)
  };
  Kind kind;
  std::uint32_t value = 0;  // BaudChange: baud; ExitLoader: 1 = reboot requested
};

class CommandHandler {
 public:
  // `stubs`: the flasher stubs MEM_END may start (tests pass their own); must outlive the handler.
  CommandHandler(RegisterSpace& registers, EfuseController& efuse, VirtualFlash& flash,
                 std::span<const KnownStub> stubs = kPublishedStubs);

  // Raw bytes from the host; returns the SLIP-encoded bytes to send back.
  Bytes on_bytes(ByteView in);
  // One decoded request frame; returns response payloads (each to be sent as its own frame).
  std::vector<Bytes> handle_frame(ByteView frame);

  LoaderMode mode() const noexcept { return mode_; }
  // The chip id GET_SECURITY_INFO reports (9 = ESP32-S3; the wrong_chip fault changes it).
  void set_reported_chip_id(std::uint32_t id) noexcept { chip_id_ = id; }
  // Fault: no flash chip answers, so every flash operation fails.
  void set_flash_absent(bool absent) noexcept { flash_absent_ = absent; }
  // Chip reset into ROM download mode: stub gone, sessions dropped, half-received frames lost.
  void reset();
  std::vector<LoaderEvent> take_events();
  bool streaming_read() const noexcept { return read_.has_value(); }

  // About the last frame handled, for the link model (link_timing.hpp): whether its reply went
  // out before its flash work (the stub acknowledges FLASH_DATA / FLASH_DEFL_DATA on receipt and
  // writes afterwards), and the delays its WRITE_REG records asked for.
  bool reply_before_work() const noexcept { return reply_before_work_; }
  std::uint64_t frames_handled() const noexcept { return frames_handled_; }
  std::chrono::microseconds register_delay() const noexcept { return register_delay_; }

 private:
  struct Request {
    Opcode op;
    std::uint32_t checksum;
    ByteView data;
  };
  struct MemSession {
    std::uint32_t address = 0;
    std::uint32_t total = 0;
    std::uint32_t received = 0;
  };
  struct ReadStream {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t packet_size = 0;
    std::uint32_t max_in_flight = 1;
    std::uint32_t sent = 0;
    std::uint32_t acked = 0;
  };

  void handle_rom(const Request& request, std::vector<Bytes>& out);
  // What the ROM loader checks after each command it completes (docs/emulator.md, Download-mode
  // lock-down): DIS_DOWNLOAD_MODE ends the loader, ENABLE_SECURITY_DOWNLOAD turns on Secure
  // Download Mode, as the eFuse read registers show them.
  void check_download_efuses();
  void handle_stub(const Request& request, std::vector<Bytes>& out);
  void handle_read_ack(ByteView frame, std::vector<Bytes>& out);
  void pump_read(std::vector<Bytes>& out);
  // MEM_END's jump, after its reply: a known stub says OHAI, anything else runs silently.
  void start_code(std::uint32_t entry, std::vector<Bytes>& out);
  // MEM_DATA's payload into RAM at the session's next address.
  void store_mem_data(ByteView payload);

  Bytes rom_reply(Opcode op, RomError error, ByteView data = {}, std::uint32_t value = 0) const;
  Bytes stub_reply(Opcode op, StubError error, ByteView data = {}, std::uint32_t value = 0,
                   std::uint8_t status = 0) const;
  // Shared command bodies; each returns the error of its mode's table through the mappers below.
  bool apply_write_reg(ByteView data);
  FlashWriter::Status write_encrypted(ByteView block);
  // No flash chip (fault) or SPI_ATTACH to pins without one: flash operations fail.
  bool flash_answers() { return !flash_absent_ && registers_.spi().flash_answers(); }
  static bool data_checksum_ok(const Request& request);

  RegisterSpace& registers_;
  EfuseController& efuse_;
  VirtualFlash& flash_;
  std::span<const KnownStub> stubs_;
  FlashWriter writer_;
  SlipDecoder decoder_;
  LoaderMode mode_ = LoaderMode::Rom;
  bool secure_download_ = false;
  std::uint32_t chip_id_ = chip::kEsp32s3.security_info_chip_id;
  bool flash_absent_ = false;  // ENABLE_SECURITY_DOWNLOAD as read at the last reset
  std::optional<MemSession> mem_;
  std::optional<ReadStream> read_;
  StubError latched_ = StubError::Ok;
  std::vector<LoaderEvent> events_;
  bool reply_before_work_ = false;
  std::chrono::microseconds register_delay_{0};
  std::uint64_t frames_handled_ = 0;
};

}  // namespace espfab::emulator
