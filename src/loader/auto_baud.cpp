#include "loader/auto_baud.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>

#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {
namespace {

using namespace std::chrono_literals;

// A probe command that gets no answer is a failed rung: no need for the 3 s default.
constexpr std::chrono::milliseconds kProbeTimeout = 500ms;
constexpr std::uint32_t kMinBaud = 9600;
constexpr std::uint32_t kMaxBaud = 5'000'000;

// A new pattern every probe (a stale reply cannot pass), with the SLIP specials in it.
Bytes probe_pattern(std::uint32_t size) {
  static std::atomic<std::uint64_t> seed{0x9E3779B97F4A7C15ULL};  // fixtures probe in parallel
  std::uint64_t state = seed.fetch_add(1);
  Bytes bytes(size);
  for (std::uint32_t i = 0; i < size; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    bytes[i] = static_cast<std::uint8_t>(state >> 56);
  }
  bytes[0] = 0xC0;  // SLIP END and ESC, escaped on the wire
  bytes[1] = 0xDB;
  return bytes;
}

// Where the verified transfer may write, per chip: RAM neither the ROM loader nor the flasher stub
// uses. Not the start of DRAM: on the ESP32-S3, DRAM 0x3FC88000.. and IRAM 0x40378000.. are the same
// SRAM1 seen from the data and instruction buses, and the stub's code is loaded at 0x40378000 (its
// first 7.6 KiB alias DRAM 0x3FC88000..0x3FC89E98); its data and buffers start at 0x3FCB2DC0, the
// ROM's own data and stack sit at the top of SRAM1. 0x3FCA0000 is between them.
struct ProbeScratch {
  std::string_view chip;
  std::uint32_t address;
};
constexpr std::array<ProbeScratch, 1> kProbeScratch{{{"ESP32-S3", 0x3FCA0000}}};

std::uint32_t scratch_address(const chip::ChipDescription& chip) {
  for (const auto& entry : kProbeScratch) {
    if (entry.chip == chip.name) return entry.address;
  }
  throw InternalError("loader.no_probe_scratch", fmt::format("auto baud knows no free RAM of the {}", chip.name),
                      "add the chip to kProbeScratch in src/loader/auto_baud.cpp");
}

std::uint32_t word_at(const Bytes& bytes, std::uint32_t offset) {
  return static_cast<std::uint32_t>(bytes[offset]) | static_cast<std::uint32_t>(bytes[offset + 1]) << 8 |
         static_cast<std::uint32_t>(bytes[offset + 2]) << 16 | static_cast<std::uint32_t>(bytes[offset + 3]) << 24;
}

}  // namespace

BaudLadder::BaudLadder(std::span<const std::uint32_t> rungs) : rungs_(rungs.begin(), rungs.end()) {
  if (rungs_.empty()) throw InternalError("loader.empty_ladder", "a baud ladder needs at least one rate", "");
}

bool BaudLadder::drop() noexcept {
  if (at_bottom()) return false;
  ++index_;
  verified_ = false;
  return true;
}

std::vector<BaudAttempt> walk_baud_ladder(BaudLadder& ladder, const RungTry& try_rung) {
  std::vector<BaudAttempt> attempts;
  for (;;) {
    const std::uint32_t baud = ladder.current();
    bool identified = false;
    try {
      const bool verified = try_rung(baud, identified);
      if (verified) ladder.passed();
      attempts.push_back({baud, true, verified, {}});
      return attempts;
    } catch (const PolicyRefusalError&) {
      throw;
    } catch (const Error& error) {
      if (!identified) throw;
      attempts.push_back({baud, false, false, error.describe()});
      log::get("loader")->info("auto baud: {} failed: {}", baud, error.describe());
      if (!ladder.drop()) {
        std::string tried;
        for (const auto& attempt : attempts)
          tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", attempt.baud, attempt.error);
        throw IoError("loader.auto_baud_failed", fmt::format("no rate of the auto-baud ladder passed ({})", tried),
                      "check the fixture's cable and USB-UART adapter; a fixed --baud (or [station] baud) below "
                      "921600 may still work");
      }
    }
  }
}

bool verify_transfer(Session& session) {
  if (session.chip().secure_download_mode) return false;
  auto& client = session.client();
  const std::uint32_t address = scratch_address(session.description());
  const Bytes pattern = probe_pattern(kBaudProbeBytes);
  Command begin = commands::mem_begin(kBaudProbeBytes, 1, kBaudProbeBytes, address);
  begin.timeout = kProbeTimeout;
  client.command(begin);
  Command data = commands::mem_data(pattern, 0);  // the loader checks the block's checksum
  data.timeout = kProbeTimeout;
  client.command(data);
  const std::uint32_t stride = kBaudProbeBytes / kBaudProbeReadWords;
  for (std::uint32_t offset = 0; offset < kBaudProbeBytes; offset += stride) {
    Command read = commands::read_reg(address + offset);
    read.timeout = kProbeTimeout;
    const std::uint32_t got = client.command(read).value;
    const std::uint32_t want = word_at(pattern, offset);
    if (got != want) {
      throw ProtocolError("loader.baud_probe_mismatch",
                          fmt::format("the verified transfer read 0x{:08x} at 0x{:08x} instead of 0x{:08x}", got,
                                      address + offset, want),
                          "the link damages bytes at this rate");
    }
  }
  return true;
}

std::vector<BaudAttempt> open_auto_session(std::optional<Session>& slot, transport::Transport& link,
                                           ConnectionSettings settings, BaudLadder& ladder) {
  settings.auto_baud = false;
  return walk_baud_ladder(ladder, [&](std::uint32_t baud, bool& identified) {
    settings.baud = baud;
    try {
      open_session(slot, link, settings, [&identified] { identified = true; });
      return verify_transfer(*slot);
    } catch (Error& error) {
      slot.reset();
      error.with_context(fmt::format("auto baud at {}", baud));
      throw;
    }
  });
}

BaudSetting parse_baud_setting(std::string_view text) {
  BaudSetting setting;
  if (text == "auto") {
    setting.automatic = true;
    return setting;
  }
  std::uint64_t rate = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rate);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw BadInputError("loader.bad_baud", fmt::format("baud '{}' is neither a rate nor \"auto\"", text),
                        "give a rate such as 921600, or auto (the fastest rate of the ladder 3000000, 2000000, "
                        "1500000, 921600 that passes a verified transfer)");
  }
  if (rate < kMinBaud || rate > kMaxBaud) {
    throw BadInputError("loader.bad_baud", fmt::format("baud {} is outside {}..{}", rate, kMinBaud, kMaxBaud),
                        "give a rate such as 921600, or auto");
  }
  setting.rate = static_cast<std::uint32_t>(rate);
  return setting;
}

}  // namespace espfab::loader
