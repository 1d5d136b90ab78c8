// Auto baud (issue 22, point 4; docs/flashing.md "Auto baud"): a ladder of rates, fastest first,
// each tried with a verified transfer; the fastest that passes is kept (per fixture in the
// station, per run in the CLI) and a link error at an auto-chosen rate drops one rung.
//
// The verified transfer checks both directions end to end, through commands every ESP32-S3 loader
// (ROM and flasher stub) serves: MEM_BEGIN + MEM_DATA put a fresh pseudo-random pattern (with SLIP
// escapes in it) into a scratch area of the chip's RAM that neither loader uses, where the loader checks each
// block's checksum (host to chip); READ_REG then reads every word of it back and each is compared
// (chip to host, and what the checksum may have missed). A failed rung leaves the chip at a rate the host may not reach
// (an adapter that cannot run it, a cable that damages bytes), so the next rung starts over from a reset into the ROM
// loader at 115200, as every session does.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loader/connection_settings.hpp"
#include "loader/session.hpp"

namespace espfab::loader {

// The rates auto baud tries, fastest first (the ROM is reached at 115200 and switched): the
// standard rates of the common USB-UART bridges between 921600 and 3 Mbaud (CP2102N and FT232R: 3
// Mbaud; CH340: 2 Mbaud; CP2102: 921600).
inline constexpr std::array<std::uint32_t, 4> kBaudLadder{3'000'000, 2'000'000, 1'500'000, 921'600};

// The verified transfer's size: bytes written (one MEM_DATA block), every word of them read back.
inline constexpr std::uint32_t kBaudProbeBytes = 512;
inline constexpr std::uint32_t kBaudProbeReadWords = kBaudProbeBytes / 4;

// One rung tried: its rate, whether it passed, and why not.
struct BaudAttempt {
  std::uint32_t baud = 0;
  bool passed = false;
  bool verified = false;  // a transfer was verified (not in Secure Download Mode: it refuses RAM writes)
  std::string error;
};

// Where a fixture (or one CLI connection) stands on the ladder: its current rung and whether
// that rung has passed a verified transfer.
class BaudLadder {
 public:
  explicit BaudLadder(std::span<const std::uint32_t> rungs = kBaudLadder);
  std::uint32_t current() const noexcept { return rungs_[index_]; }
  bool verified() const noexcept { return verified_; }
  bool at_bottom() const noexcept { return index_ + 1 == rungs_.size(); }
  std::span<const std::uint32_t> rungs() const noexcept { return rungs_; }
  void passed() noexcept { verified_ = true; }
  // The current rung failed (or a link error happened at it): the next slower one becomes current,
  // unverified. False at the bottom (nothing changes).
  bool drop() noexcept;

 private:
  std::vector<std::uint32_t> rungs_;
  std::size_t index_ = 0;
  bool verified_ = false;
};

// What one rung's try reports: `identified` once the chip answered and was identified at the ROM
// rate (an error before that is no chip, not the rate); returns whether a transfer was verified.
using RungTry = std::function<bool(std::uint32_t baud, bool& identified)>;

// Walks `ladder` from its current rung down until a try passes; returns every attempt. Throws at
// once what a try throws before the chip was identified, and any PolicyRefusalError (another chip
// family); when the bottom rung fails too, IoError loader.auto_baud_failed naming each attempt.
std::vector<BaudAttempt> walk_baud_ladder(BaudLadder& ladder, const RungTry& try_rung);

// The verified transfer on an open session (see above). Returns false when the session cannot
// run it (Secure Download Mode); throws ProtocolError loader.baud_probe_mismatch on a difference,
// and what the loader commands throw (a checksum error status, a timeout).
bool verify_transfer(Session& session);

// Opens `slot` through `ladder` (walk_baud_ladder with open_session + verify_transfer per rung).
std::vector<BaudAttempt> open_auto_session(std::optional<Session>& slot, transport::Transport& link,
                                           ConnectionSettings settings, BaudLadder& ladder);

// "auto" or a rate in 9600..5000000; throws BadInputError loader.bad_baud naming the problem.
struct BaudSetting {
  bool automatic = false;
  std::uint32_t rate = 921600;
};
BaudSetting parse_baud_setting(std::string_view text);

}  // namespace espfab::loader
