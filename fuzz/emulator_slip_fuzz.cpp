// Fuzzes the emulator's device side: any byte stream from a host (SLIP frames or garbage) goes
// through the decoder and the ROM/stub command handler, and through the RFC 2217 session, without
// crashing; every reply is well-formed SLIP.
#include <cstdint>
#include <cstdlib>

#include "emulator/command_handler.hpp"
#include "emulator/rfc2217.hpp"

using namespace espfab;
using namespace espfab::emulator;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  EfuseController efuse;
  VirtualFlash flash(0x20000);
  SpiFlashController spi(flash, FlashIdentity::for_size(flash.size()));
  RegisterSpace registers(efuse, spi);
  CommandHandler handler(registers, efuse, flash);
  const ByteView input(data, size);
  // First byte chooses the mode so the stub paths are reached without an upload in the input.
  if (size > 0 && (data[0] & 1)) handler.handle_frame(Bytes{0x00, 0x06, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x40});
  const Bytes out = handler.on_bytes(input);
  if (!out.empty() && (out.front() != kSlipEnd || out.back() != kSlipEnd)) std::abort();
  Rfc2217Session session;
  Rfc2217Session::Output telnet;
  session.feed(input, telnet);
  return 0;
}
