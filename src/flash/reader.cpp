#include "flash/reader.hpp"

#include <fmt/format.h>

#include "loader/timeouts.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::flash {

namespace {

std::string item(std::uint32_t address, std::uint32_t size) { return fmt::format("0x{:x}+0x{:x}", address, size); }

}  // namespace

Bytes read_flash_stub(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size,
                      const ReadOptions& options) {
  client.command(loader::commands::read_flash(address, size, options.packet_size, options.max_in_flight));
  ProgressReporter progress(options.progress, "read-flash", item(address, size), size);
  Bytes data;
  data.reserve(size);
  Bytes ack;
  while (data.size() < size) {
    auto packet = client.read_frame(Deadline(loader::kDefaultTimeout));
    if (!packet) {
      throw TimeoutError(
          "flash.read_timeout",
          fmt::format("flash read stalled at 0x{:x} ({} of {} bytes)", address + data.size(), data.size(), size),
          "check the link; read again");
    }
    const std::size_t remaining = size - data.size();
    if (packet->size() > remaining || (packet->size() < options.packet_size && packet->size() != remaining)) {
      throw ProtocolError("flash.read_bad_packet",
                          fmt::format("flash read got a {}-byte packet at 0x{:x} ({} bytes still to come)",
                                      packet->size(), address + data.size(), remaining),
                          "the stream lost bytes; read again");
    }
    data.insert(data.end(), packet->begin(), packet->end());
    ack.clear();
    append_le32(ack, static_cast<std::uint32_t>(data.size()));
    client.write_frame(ack);
    progress.update(data.size());
  }
  auto digest = client.read_frame(Deadline(loader::kDefaultTimeout));
  if (!digest || digest->size() != 16) {
    throw ProtocolError("flash.read_no_digest", "the flash read did not end with its 16-byte MD5",
                        "reset the chip and read again");
  }
  const auto expected = crypto::md5(data);
  if (!std::equal(expected.begin(), expected.end(), digest->begin())) {
    throw ProtocolError("flash.read_md5_mismatch",
                        fmt::format("data read from {} does not match the chip's MD5", item(address, size)),
                        "bytes were damaged on the way; read again");
  }
  progress.finish();
  return data;
}

Bytes read_flash_rom(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size,
                     const ReadOptions& options) {
  ProgressReporter progress(options.progress, "read-flash", item(address, size), size);
  Bytes data;
  data.reserve(size);
  while (data.size() < size) {
    const auto at = address + static_cast<std::uint32_t>(data.size());
    const auto count =
        std::min<std::uint32_t>(loader::kReadFlashSlowChunk, size - static_cast<std::uint32_t>(data.size()));
    loader::Reply reply;
    try {
      reply = client.command(loader::commands::read_flash_slow(at, count), 3);
    } catch (Error& error) {
      error.with_context(fmt::format("reading flash at 0x{:x}", at));
      throw;
    }
    if (reply.result.size() < count) {
      throw ProtocolError(
          "flash.read_bad_packet",
          fmt::format("READ_FLASH_SLOW at 0x{:x} returned {} bytes, asked for {}", at, reply.result.size(), count),
          "reset the chip and read again");
    }
    data.insert(data.end(), reply.result.begin(), reply.result.begin() + count);
    progress.update(data.size());
  }
  progress.finish();
  return data;
}

Bytes read_flash(loader::Session& session, std::uint32_t address, std::uint32_t size, const ReadOptions& options) {
  if (size == 0) return {};
  session.prepare_flash();
  if (session.stub_running()) return read_flash_stub(session.client(), address, size, options);
  return read_flash_rom(session.client(), address, size, options);
}

}  // namespace espfab::flash
