// One fixture's serial link, open for the whole run: loader sessions for the download-mode steps
// and normal boots whose console the test and verify steps read.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader/auto_baud.hpp"
#include "loader/session.hpp"
#include "loader/stub.hpp"
#include "transport/transport.hpp"
#include "util/deadline.hpp"

namespace espfab::station {

class FixtureLink {
 public:
  // Opens the port (device path, rfc2217:// or socket://). `baud` is the rate for bulk transfers;
  // with `auto_baud` the rate comes from the fixture's ladder instead (loader/auto_baud.hpp): every
  // session is verified at the fixture's current rung, starting at the fastest; a rung that fails
  // gives way to the next slower one for this and the following devices.
  FixtureLink(std::string url, std::uint32_t baud, std::optional<loader::StubImage> stub = std::nullopt,
              bool auto_baud = false);
  const std::string& url() const noexcept { return url_; }
  transport::Transport& link() { return *link_; }

  // Resets the chip into the ROM loader and connects; any previous session is dropped.
  loader::Session& connect(unsigned attempts = 7);
  loader::Session* session() { return session_ ? &*session_ : nullptr; }
  void close_session() {
    session_.reset();
    ++session_number_;
  }
  // Changes at every connect, boot and close: while it stays the same, nothing but this station's
  // loader commands ran on the chip (what was read from it still holds, eFuses included).
  std::uint64_t session_number() const noexcept { return session_number_; }

  // Auto baud: whether it is on, the rungs the last connect() tried, the rate the fixture uses
  // now, and a link error at that rate: the fixture drops one rung (the next session verifies it).
  // Returns the rates {from, to}, or nullopt (fixed rate, or already at the slowest rung).
  bool auto_baud() const noexcept { return ladder_.has_value(); }
  const std::vector<loader::BaudAttempt>& baud_attempts() const noexcept { return baud_attempts_; }
  std::uint32_t bulk_baud() const noexcept { return ladder_ ? ladder_->current() : baud_; }
  std::optional<std::pair<std::uint32_t, std::uint32_t>> drop_baud();

  // Normal boot (GPIO0 high, EN pulse) at the console rate; collects the console until `done`
  // says the text is complete or `timeout` passes. Throws PolicyRefusalError when the link has no
  // reset lines (socket://).
  std::string boot(const std::function<bool(std::string_view console)>& done, std::chrono::milliseconds timeout);

  // Console lines after a boot (the factory-test protocol): one line without its CR/LF, or nullopt
  // at the deadline.
  std::optional<std::string> read_line(const Deadline& deadline);
  void write_line(std::string_view line);
  // Everything read from the console since the last call (for the device record).
  std::string take_console();

 private:
  std::string url_;
  std::uint32_t baud_;
  std::optional<loader::StubImage> stub_;
  std::optional<loader::BaudLadder> ladder_;
  std::vector<loader::BaudAttempt> baud_attempts_;
  std::unique_ptr<transport::Transport> link_;
  std::optional<loader::Session> session_;
  std::uint64_t session_number_ = 0;
  std::string pending_;  // bytes read but not yet returned as a line
  std::string console_;  // console transcript
};

}  // namespace espfab::station
