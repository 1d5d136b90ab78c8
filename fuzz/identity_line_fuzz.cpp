// Fuzzes the identity core of firmware/ (PEM, DER walk to the CN, the line): any bytes as the
// device certificate; the message, when there is one, has the contract's shape.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "espfab_identity/identity_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> work(size);
  char out[ESPFAB_IDENTITY_MESSAGE_MAX];
  const auto status =
      espfab_identity_message(data, size, nullptr, {true, false}, work.data(), work.size(), out, sizeof out);
  if (status == ESPFAB_IDENTITY_OK &&
      (std::strncmp(out, "serial=", 7) != 0 || std::strstr(out, " cert_sha256=") == nullptr))
    std::abort();
  if (status != ESPFAB_IDENTITY_OK && out[0] != '\0') std::abort();
  return 0;
}
