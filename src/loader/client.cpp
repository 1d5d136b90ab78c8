#include "loader/client.hpp"

#include <fmt/format.h>

#include "loader/device_error.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

constexpr std::size_t kMaxSkippedFrames = 100;
constexpr std::size_t kTraceBytes = 48;

std::string trace_hex(ByteView bytes) {
  if (bytes.size() <= kTraceBytes) return to_hex(bytes);
  return fmt::format("{}... ({} bytes)", to_hex(bytes.first(kTraceBytes)), bytes.size());
}

}  // namespace

void LoaderClient::write_frame(ByteView packet) {
  static const auto logger = log::get("loader");
  if (logger->should_log(spdlog::level::trace)) logger->trace("> {}", trace_hex(packet));
  out_.clear();
  slip_encode_into(packet, out_);
  link_->write(out_);
}

std::optional<Bytes> LoaderClient::read_frame(const Deadline& deadline) {
  static const auto logger = log::get("loader");
  std::uint8_t buffer[4096];
  for (;;) {
    if (auto frame = decoder_.pop_frame()) {
      if (logger->should_log(spdlog::level::trace)) logger->trace("< {}", trace_hex(*frame));
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
                              is_stub_only(opcode) ? "this command needs the flasher stub: pass --stub FILE"
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
      const bool retry = error.kind() == ErrorKind::Timeout || is_transient_device_error(error);
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
