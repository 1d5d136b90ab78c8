#include "emulator/rom_autobaud.hpp"

#include <algorithm>
#include <vector>

#include "emulator/loader_protocol.hpp"

namespace espfab::emulator {
namespace {

constexpr std::size_t kRequestHeader = 8;
constexpr std::uint8_t kSyncPattern[4] = {0x07, 0x07, 0x12, 0x20};
constexpr std::uint8_t kSyncFill = 0x55;  // the bit pattern the detector measures

bool is_sync_request(const Bytes& frame) {
  if (frame.size() != kRequestHeader + kSyncPayloadSize) return false;
  if (frame[0] != 0x00 || frame[1] != static_cast<std::uint8_t>(Opcode::Sync)) return false;
  const auto payload = ByteView(frame).subspan(kRequestHeader);
  return std::equal(std::begin(kSyncPattern), std::end(kSyncPattern), payload.begin()) &&
         std::all_of(payload.begin() + 4, payload.end(), [](std::uint8_t b) { return b == kSyncFill; });
}

}  // namespace

std::optional<Bytes> RomAutobaud::feed(ByteView at_other_rate) {
  std::vector<Bytes> frames;
  decoder_.feed(at_other_rate, frames);
  for (Bytes& frame : frames) {
    if (is_sync_request(frame)) {
      decoder_.reset();
      return std::move(frame);
    }
  }
  return std::nullopt;
}

void RomAutobaud::reset() { decoder_.reset(); }

}  // namespace espfab::emulator
