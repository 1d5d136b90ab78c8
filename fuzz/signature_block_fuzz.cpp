// Fuzzes the Secure Boot V2 signature-sector parsing on top of image/signature_sector.hpp: the ROM
// check never throws and never accepts garbage, espsecure-style info/verify either answer or throw
// BadInputError, and any 1216-byte block's fields read back without crashing.
#include <cstdint>
#include <cstdlib>

#include "security/secure_boot_v2.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab;
  const ByteView input(data, size);
  // Make sector-sized inputs likely: the fuzzer's bytes become the end of a 4096-aligned image.
  Bytes image(size <= 4096 ? 4096 : align_up(size, 4096), 0xFF);
  std::copy(input.begin(), input.end(), image.end() - static_cast<std::ptrdiff_t>(size));

  const security::KeyDigest trusted{};
  const security::KeyDigest list[] = {trusted};
  const auto rom = security::verify_with_digests(image, list);
  if (rom.verified) std::abort();  // nobody holds the private key of an all-zero digest
  (void)security::verify_with_digests(input, list);
  try {
    (void)security::signature_info(image);
  } catch (const BadInputError&) {
  }
  if (size >= security::kSbv2BlockSize) {
    try {
      (void)security::read_rsa_block(input.first(security::kSbv2BlockSize));
    } catch (const BadInputError&) {
    }
  }
  return 0;
}
