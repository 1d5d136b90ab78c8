#include "loader/response.hpp"

#include <fmt/format.h>

namespace espfab::loader {

std::string_view to_string(LoaderMode mode) { return mode == LoaderMode::Rom ? "ROM" : "stub"; }

Result<Response> parse_response(ByteView frame) {
  if (frame.size() < 8) {
    return make_unexpected(
        ProtocolError("loader.short_frame", fmt::format("frame of {} bytes is not a response", frame.size())));
  }
  if (frame[0] != 0x01) {
    return make_unexpected(
        ProtocolError("loader.not_a_response", fmt::format("frame direction byte is 0x{:02x}, not 0x01", frame[0])));
  }
  Response response;
  response.opcode = static_cast<Opcode>(frame[1]);
  response.value = load_le32(frame, 4);
  response.data.assign(frame.begin() + 8, frame.end());
  return response;
}

Result<Reply> decode_reply(const Response& response, LoaderMode mode) {
  const std::size_t trailer = status_length(mode);
  if (response.data.size() < trailer) {
    return make_unexpected(ProtocolError(
        "loader.short_status",
        fmt::format("{} reply carries {} status bytes, the {} sends {}", to_string(response.opcode),
                    response.data.size(), to_string(mode), trailer),
        mode == LoaderMode::Rom ? "the flasher stub is probably still running: reset the chip, or run without "
                                  "forcing ROM mode"
                                : "the chip is probably in ROM mode: reset it and connect again"));
  }
  Reply reply;
  reply.value = response.value;
  const std::size_t split = response.data.size() - trailer;
  reply.result.assign(response.data.begin(), response.data.begin() + static_cast<std::ptrdiff_t>(split));
  const std::uint8_t* status = response.data.data() + split;
  if (mode == LoaderMode::Rom) {
    reply.status = Status{status[0] != 0, status[1], status[2]};
  } else {
    reply.status = Status{status[0] != 0, status[0], status[1]};
  }
  return reply;
}

bool is_unsupported_reply(const Response& response, Opcode requested) {
  return response.opcode != requested && response.data.size() >= 2 && response.data[0] != 0 && response.data[1] == 0x05;
}

}  // namespace espfab::loader
