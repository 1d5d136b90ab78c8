// An in-process Transport onto the emulator's VirtualDevice, with the auto-reset circuit modelled
// (RTS released while DTR is asserted = download mode, otherwise normal boot) and faults to
// inject: a link that drops after N host bytes, a bit flip in a host frame, a garbled reply.
#pragma once

#include <deque>
#include <optional>

#include "emulator/virtual_device.hpp"
#include "transport/transport.hpp"

namespace espfab::test {

class EmulatorLink final : public transport::Transport {
 public:
  explicit EmulatorLink(emulator::VirtualDevice& device) : device_(&device) {}

  std::optional<std::size_t> drop_after_host_bytes;  // the cable is pulled after this many bytes
  bool flip_bit_in_next_large_write = false;         // damages one data byte of the next big frame
  unsigned garble_replies = 0;                       // breaks the SLIP escape of the next N replies
  std::size_t host_bytes = 0;
  std::size_t resets_into_download = 0;
  std::size_t normal_boots = 0;

  std::size_t read(std::span<std::uint8_t> out, Deadline deadline) override;
  void write(ByteView data) override;
  void drain_input() override { rx_.clear(); }
  void flush_output() override {}
  void set_baud(std::uint32_t baud) override { baud_ = baud; }
  std::uint32_t baud() const override { return baud_; }
  bool set_control_lines(transport::ControlLines lines) override;
  std::string describe() const override { return "emulator (in process)"; }

 private:
  emulator::VirtualDevice* device_;
  std::deque<std::uint8_t> rx_;
  std::uint32_t baud_ = 115200;
  bool dtr_ = false;
  bool rts_ = false;
  bool dropped_ = false;
};

}  // namespace espfab::test
