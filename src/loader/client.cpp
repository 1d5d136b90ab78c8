#include "loader/client.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chip/descriptions.hpp"
#include "loader/device_error.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

constexpr std::size_t kMaxSkippedFrames = 100;
// The eFuse controller's register window: key material passes through it (PGM_DATA on a burn,
// key block reads before read protection), so its values never reach a log. The client talks
// before the chip is known, so every described chip's window counts (chip/descriptions.hpp).
bool secret_register(std::uint32_t address) {
  return std::any_of(chip::kDescriptions.begin(), chip::kDescriptions.end(),
                     [&](const chip::ChipDescription* chip) { return chip->efuse.in_window(address); });
}

std::uint32_t word_at(ByteView bytes, std::size_t offset) {
  return offset + 4 <= bytes.size() ? load_le32(bytes, offset) : 0;
}

// A frame as a trace line without payload bytes: data blocks may hold secrets (an identity
// partition with its private key, a plaintext image), so only opcodes, lengths, register addresses
// and values outside the eFuse window are shown.
std::string trace_frame(ByteView frame, bool& last_read_secret) {
  if (frame.size() < 8) return fmt::format("{} bytes outside a command", frame.size());
  const auto op = static_cast<Opcode>(frame[1]);
  const ByteView data = frame.subspan(8);
  const bool request = frame[0] == 0x00;
  std::string line = fmt::format("{} {}", request ? ">" : "<", to_string(op));
  if (request && op == Opcode::ReadReg) {
    const std::uint32_t address = word_at(data, 0);
    last_read_secret = secret_register(address);
    return line + fmt::format(" 0x{:08x}", address);
  }
  if (request && op == Opcode::WriteReg) {
    for (std::size_t i = 0; i + 16 <= data.size(); i += 16) {
      const std::uint32_t address = word_at(data, i);
      line += secret_register(address) ? fmt::format(" 0x{:08x}=<redacted>", address)
                                       : fmt::format(" 0x{:08x}=0x{:08x}", address, word_at(data, i + 4));
    }
    return line;
  }
  if (!request && op == Opcode::ReadReg) {
    return line + (last_read_secret ? " value=<redacted>" : fmt::format(" value=0x{:08x}", word_at(frame, 4))) +
           fmt::format(" status={}", to_hex(data));
  }
  if (request) return line + fmt::format(" ({} data bytes)", data.size());
  if (frame[0] != 0x01) return fmt::format("< {} bytes of data", frame.size());  // READ_FLASH data, MD5
  const std::size_t status = std::min<std::size_t>(data.size(), 4);
  return line + fmt::format(" ({} bytes, status {})", data.size(), to_hex(data.last(status)));
}

}  // namespace

void LoaderClient::write_frame(ByteView packet) {
  static const auto logger = log::get("loader");
  if (logger->should_log(spdlog::level::trace)) logger->trace("{}", trace_frame(packet, last_read_secret_));
  out_.clear();
  slip_encode_into(packet, out_);
  link_->write(out_);
}

std::optional<Bytes> LoaderClient::read_frame(const Deadline& deadline) {
  static const auto logger = log::get("loader");
  std::uint8_t buffer[4096];
  for (;;) {
    if (auto frame = decoder_.pop_frame()) {
      if (logger->should_log(spdlog::level::trace)) logger->trace("{}", trace_frame(*frame, last_read_secret_));
      return frame;
    }
    const std::size_t got = link_->read(buffer, deadline);
    if (got == 0) return std::nullopt;
    decoder_.feed(ByteView(buffer, got));
  }
}

void LoaderClient::send(const Command& command) { write_frame(encode_request(command)); }

std::optional<Response> LoaderClient::wait_response(Opcode opcode, const Deadline& deadline) {
  for (std::size_t skipped = 0; skipped < kMaxSkippedFrames; ++skipped) {
    auto frame = read_frame(deadline);
    if (!frame) return std::nullopt;
    auto response = parse_response(*frame);
    if (!response) continue;
    if (response->opcode == opcode) return std::move(*response);
    if (is_unsupported_reply(*response, opcode)) {
      drain();
      throw DeviceStatusError("loader.unsupported_command",
                              fmt::format("the {} loader does not support {}", to_string(mode_), to_string(opcode)),
                              is_stub_only(opcode)
                                  ? "this command needs the flasher stub: leave out --no-stub, or pass --stub FILE"
                                  : "the chip may be in Secure Download Mode");
    }
  }
  throw ProtocolError("loader.no_matching_response",
                      fmt::format("no response for {} among {} frames", to_string(opcode), kMaxSkippedFrames),
                      "the link is carrying something else; reset the chip and connect again");
}

Reply LoaderClient::command_once(const Command& command) {
  send(command);
  auto response = wait_response(command.opcode, Deadline(command.timeout));
  if (!response) {
    throw TimeoutError("loader.no_reply",
                       fmt::format("no reply to {} within {} ms from {}", to_string(command.opcode),
                                   command.timeout.count(), link_->describe()),
                       "check that the chip is still powered and in download mode; reset it and retry");
  }
  auto reply = decode_reply(*response, mode_);
  if (!reply) throw std::move(reply.error());
  if (reply->status.failed) throw device_status_error(command.opcode, mode_, reply->status);
  return std::move(*reply);
}

Reply LoaderClient::command(const Command& command, unsigned attempts) {
  for (unsigned attempt = 1;; ++attempt) {
    try {
      return command_once(command);
    } catch (const Error& error) {
      // A data block damaged on the line can also arrive as "invalid message" (a flipped length
      // or sequence bit); re-sending the same block is safe, so that counts as transient there.
      const bool data_block = command.opcode == Opcode::FlashData || command.opcode == Opcode::FlashDeflData ||
                              command.opcode == Opcode::MemData;
      const bool retry = error.kind() == ErrorKind::Timeout || is_transient_device_error(error) ||
                         (data_block && error.code() == "loader.device_error.invalid_message");
      if (!retry || attempt >= attempts) throw;
      log::get("loader")->warn("{}: {}; retrying ({} of {})", to_string(command.opcode), error.message(), attempt + 1,
                               attempts);
    }
  }
}

std::uint32_t LoaderClient::read_reg(std::uint32_t address) { return command(commands::read_reg(address), 3).value; }

void LoaderClient::write_reg(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
  const RegisterWrite write{address, value, mask, {}};
  write_regs(std::span(&write, 1));
}

void LoaderClient::write_regs(std::span<const RegisterWrite> writes) { command(commands::write_reg(writes)); }

void LoaderClient::drain() {
  link_->drain_input();
  decoder_.reset();
}

}  // namespace espfab::loader
