#include "emulator/known_stubs.hpp"

#include "util/crypto.hpp"

namespace espfab::emulator {
namespace {

bool segment_matches(const SystemRam& ram, std::uint32_t start, std::uint32_t size, std::string_view sha256) {
  if (size != 0 && !SystemRam::contains(start, size)) return false;
  return to_hex(crypto::sha256(ram.read(start, size))) == sha256;
}

}  // namespace

const KnownStub* recognise_stub(std::span<const KnownStub> catalogue, const SystemRam& ram, std::uint32_t entry) {
  for (const KnownStub& stub : catalogue) {
    if (stub.entry == entry && segment_matches(ram, stub.text_start, stub.text_size, stub.text_sha256) &&
        segment_matches(ram, stub.data_start, stub.data_size, stub.data_sha256)) {
      return &stub;
    }
  }
  return nullptr;
}

}  // namespace espfab::emulator
