// The optional flasher stub: loaded from the JSON file esptool and esptool-js ship (text/data
// segments in base64, their load addresses, the entry point), uploaded with MEM_BEGIN/MEM_DATA/
// MEM_END, started when it says "OHAI". espfab ships no stub; --stub FILE names one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "loader/client.hpp"
#include "util/bytes.hpp"

namespace espfab::loader {

struct StubImage {
  Bytes text;
  std::uint32_t text_start = 0;
  Bytes data;
  std::uint32_t data_start = 0;
  std::uint32_t entry = 0;
};

// Throws BadInputError (loader.bad_stub) naming the missing or malformed field.
StubImage parse_stub_json(std::string_view json, std::string_view source = "stub");
StubImage load_stub_file(const std::filesystem::path& path);

// Standard base64 (RFC 4648, '=' padding, whitespace ignored); throws BadInputError.
Bytes decode_base64(std::string_view text);

// Uploads and starts the stub; on return the client is in stub mode. `ram_block` is the MEM_DATA
// block size (0x1800, 0x800 over USB-OTG). Throws ProtocolError loader.stub_no_ohai when the stub
// does not greet.
void run_stub(LoaderClient& client, const StubImage& stub, std::uint32_t ram_block = kRamBlockSize);

}  // namespace espfab::loader
