// Fuzzes the hex parser: any input either parses or throws BadInputError, and parsed bytes
// round-trip through to_hex.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "util/bytes.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const espfab::Bytes bytes = espfab::from_hex(text);
    if (espfab::from_hex(espfab::to_hex(bytes)) != bytes) std::abort();
  } catch (const espfab::BadInputError&) {
  }
  return 0;
}
