// Fuzzes the host side's parsers of bytes from the chip: the SLIP decoder (fed in pieces), the
// response parser and the status decode for both loader modes, GET_SECURITY_INFO decoding and the
// RFC 2217 Telnet decoder. Every frame must round-trip through slip_encode; nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "loader/response.hpp"
#include "loader/security_info.hpp"
#include "loader/slip.hpp"
#include "transport/telnet_codec.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab;
  const ByteView input(data, size);
  // The first byte chooses how the stream is cut into reads.
  const std::size_t chunk = size == 0 ? 1 : static_cast<std::size_t>(data[0] % 64) + 1;
  loader::SlipDecoder decoder;
  for (std::size_t offset = 0; offset < size; offset += chunk) {
    decoder.feed(input.subspan(offset, std::min(chunk, size - offset)));
  }
  while (auto frame = decoder.pop_frame()) {
    if (frame->empty() || frame->size() > loader::SlipDecoder::kMaxFrame) std::abort();
    loader::SlipDecoder again;
    again.feed(loader::slip_encode(*frame));
    if (again.pop_frame() != frame) std::abort();
    auto response = loader::parse_response(*frame);
    if (!response) continue;
    for (const auto mode : {loader::LoaderMode::Rom, loader::LoaderMode::Stub}) {
      auto reply = loader::decode_reply(*response, mode);
      if (!reply) continue;
      if (reply->result.size() + loader::status_length(mode) != response->data.size()) std::abort();
      try {
        const auto info = loader::decode_security_info(reply->result);
        (void)info.flag_names();
      } catch (const ProtocolError&) {
      }
    }
    (void)loader::is_unsupported_reply(*response, loader::Opcode::ReadReg);
  }
  (void)decoder.take_noise();

  transport::telnet::Decoder telnet;
  Bytes out;
  std::vector<transport::telnet::Event> events;
  telnet.feed(input, out, events);
  if (out.size() > size) std::abort();
  return 0;
}
