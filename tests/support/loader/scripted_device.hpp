// A scripted ESP32-S3 loader for host-side tests, written from the spec on its own (its own SLIP
// and packet code, no espfab::loader): answers SYNC, registers (with RDID through the SPI1 user
// registers), GET_SECURITY_INFO, MEM_* (stub upload, OHAI), FLASH_* / FLASH_DEFL_* over an
// in-memory flash, SPI_FLASH_MD5, READ_FLASH_SLOW, stub READ_FLASH with ack flow control and the
// stub erase commands. Tests change its knobs to script faults.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "support/transport/fake_transport.hpp"
#include "util/bytes.hpp"

namespace espfab::test {

struct DeviceRequest {
  std::uint8_t opcode = 0;
  std::uint32_t checksum = 0;
  Bytes data;
};

class ScriptedDevice {
 public:
  explicit ScriptedDevice(FakeTransport& link, std::size_t flash_size = 4 * 1024 * 1024);
  ~ScriptedDevice();
  ScriptedDevice(const ScriptedDevice&) = delete;
  ScriptedDevice& operator=(const ScriptedDevice&) = delete;

  // Knobs.
  bool stub = false;  // answer in stub mode (2-byte status, SYNC value 0)
  std::uint32_t rom_sync_value = 0x55201207;
  unsigned sync_replies = 8;
  unsigned ignore_syncs = 0;            // this many SYNCs get no answer
  bool security_info_supported = true;  // false: answer [01 05 00 00] like an old ROM
  std::uint32_t chip_id = 9;
  std::uint32_t magic = 9;
  std::uint32_t flash_jedec = 0x001640C8;   // GD25Q32: 4 MB
  std::optional<std::uint8_t> fail_opcode;  // answer this opcode with an error status
  std::uint8_t fail_code = 0x06;
  unsigned fail_count = 1;                        // how many times
  unsigned corrupt_replies = 0;                   // garble the next N replies (broken SLIP escape)
  unsigned drop_replies = 0;                      // swallow the next N replies
  std::optional<std::uint32_t> drop_link_at_seq;  // FLASH_*DATA with this seq: the link hangs up
  bool greet_after_mem_end = true;                // send OHAI
  std::map<std::uint32_t, std::uint32_t> registers;
  Bytes flash;

  // What happened.
  std::vector<DeviceRequest> requests;
  std::vector<std::uint32_t> read_flash_acks;
  std::size_t max_unacked_seen = 0;
  std::uint32_t baud_requested = 0;
  bool stub_uploaded = false;

  std::vector<std::uint8_t> opcodes() const;
  std::size_t count(std::uint8_t opcode) const;

 private:
  void on_bytes(ByteView bytes);
  void on_frame(const Bytes& frame);
  void handle(const DeviceRequest& request);
  void reply(std::uint8_t opcode, std::uint32_t value, ByteView result, std::uint8_t error = 0);
  void send_frame(ByteView payload);
  void write_register(std::uint32_t address, std::uint32_t value, std::uint32_t mask);
  void handle_read_flash_ack(std::uint32_t acked);
  void push_read_packets();

  FakeTransport* link_;
  Bytes current_;
  bool in_frame_ = false;
  bool escape_ = false;
  // Flash write session.
  bool writing_ = false;
  bool compressed_ = false;
  std::uint32_t write_offset_ = 0;
  std::uint32_t write_size_ = 0;
  std::uint32_t block_size_ = 0;
  std::uint32_t written_ = 0;
  std::unique_ptr<z_stream> inflater_;
  // Stub READ_FLASH.
  bool reading_ = false;
  std::uint32_t read_offset_ = 0, read_size_ = 0, read_packet_ = 0, read_window_ = 0, read_sent_ = 0;
  // MEM upload.
  std::uint32_t mem_expected_ = 0, mem_received_ = 0;
};

}  // namespace espfab::test
