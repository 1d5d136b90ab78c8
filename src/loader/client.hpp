// One conversation with the chip's loader over a Transport: SLIP framing, sending commands,
// matching responses by opcode, decoding the status trailer for the current mode (ROM or stub).
// Knows nothing about reset, chips or flashing; those are built on top of it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "loader/command.hpp"
#include "loader/response.hpp"
#include "loader/slip.hpp"
#include "transport/transport.hpp"

namespace espfab::loader {

class LoaderClient {
 public:
  explicit LoaderClient(transport::Transport& link) : link_(&link) {}

  transport::Transport& link() const { return *link_; }
  LoaderMode mode() const { return mode_; }
  void set_mode(LoaderMode mode) { mode_ = mode; }

  // SLIP-encodes `packet` and writes it.
  void write_frame(ByteView packet);
  // The next whole frame, or nullopt when the deadline passes first.
  std::optional<Bytes> read_frame(const Deadline& deadline);

  void send(const Command& command);
  // The next response for `opcode`, skipping other frames; nullopt on timeout. Throws
  // DeviceStatusError (loader.unsupported_command) when the chip says it does not know it.
  std::optional<Response> wait_response(Opcode opcode, const Deadline& deadline);

  // Sends, waits up to the command's timeout and checks the status. Throws TimeoutError
  // (loader.no_reply), ProtocolError or DeviceStatusError. With attempts > 1, a timeout or a
  // transient device error (checksum) re-sends the same command.
  Reply command(const Command& command, unsigned attempts = 1);

  std::uint32_t read_reg(std::uint32_t address);
  void write_reg(std::uint32_t address, std::uint32_t value, std::uint32_t mask = 0xFFFFFFFF);
  void write_regs(std::span<const RegisterWrite> writes);

  // Drops pending input on the link and in the decoder.
  void drain();
  // Text received outside frames (boot log) since the last call.
  std::string take_noise() { return decoder_.take_noise(); }
  std::size_t dropped_frames() const { return decoder_.dropped_frames(); }

 private:
  Reply command_once(const Command& command);

  transport::Transport* link_;
  SlipDecoder decoder_;
  LoaderMode mode_ = LoaderMode::Rom;
  Bytes out_;
  bool last_read_secret_ = false;  // the last READ_REG was in the eFuse window: keep its value out of the log
};

}  // namespace espfab::loader
