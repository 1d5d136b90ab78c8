#include "station/fixture_link.hpp"

#include <array>

#include "loader/connection_settings.hpp"
#include "transport/open_transport.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

constexpr std::uint32_t kConsoleBaud = 115200;  // the ROM and ESP-IDF console rate

}  // namespace

FixtureLink::FixtureLink(std::string url, std::uint32_t baud, std::optional<loader::StubImage> stub, bool auto_baud)
    : url_(std::move(url)), baud_(baud), stub_(std::move(stub)), link_(transport::open_transport(url_, kConsoleBaud)) {
  if (auto_baud) ladder_.emplace();
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> FixtureLink::drop_baud() {
  if (!ladder_) return std::nullopt;
  const std::uint32_t from = ladder_->current();
  if (!ladder_->drop()) return std::nullopt;
  return std::make_pair(from, ladder_->current());
}

loader::Session& FixtureLink::connect(unsigned attempts) {
  ++session_number_;
  pending_.clear();
  loader::ConnectionSettings settings;
  settings.port = url_;
  settings.attempts = attempts;
  settings.baud = baud_;
  settings.stub = stub_;
  if (ladder_) {
    baud_attempts_.clear();
    baud_attempts_ = loader::open_auto_session(session_, *link_, settings, *ladder_);
    return *session_;
  }
  loader::open_session(session_, *link_, settings);
  return *session_;
}

std::string FixtureLink::boot(const std::function<bool(std::string_view)>& done, std::chrono::milliseconds timeout) {
  if (session_) {
    // As esptool's ESP32-S3 hard_reset: clear FORCE_DOWNLOAD_BOOT first, or a USB-Serial/JTAG
    // core reset enters the ROM loader again (the flag lives in the RTC domain).
    try {
      if (const auto& force = session_->description().usb.force_download_boot) {
        session_->client().write_reg(force->reg, 0, force->mask);
      }
    } catch (const Error&) {
      // Secure Download Mode refuses register writes; a UART reset pin clears the flag anyway.
    }
  }
  session_.reset();
  ++session_number_;
  link_->set_baud(kConsoleBaud);
  link_->drain_input();
  pending_.clear();
  if (!loader::run_reset(*link_, loader::hard_reset(), loader::real_sleeper())) {
    throw PolicyRefusalError("station.no_reset_lines",
                             link_->describe() + " has no DTR/RTS: the station cannot boot the device",
                             "use a serial port or an rfc2217:// server with the auto-reset circuit wired");
  }
  const Deadline deadline(timeout);
  std::string text;
  std::array<std::uint8_t, 4096> buffer{};
  while (!done(text) && !deadline.expired()) {
    const std::size_t n = link_->read(buffer, Deadline(std::min<std::chrono::steady_clock::duration>(
                                                  deadline.remaining(), std::chrono::milliseconds(100))));
    text.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  console_ += text;
  // Whatever followed the last complete line belongs to the next read_line().
  const auto last = text.rfind('\n');
  pending_ = last == std::string::npos ? text : text.substr(last + 1);
  return text;
}

std::optional<std::string> FixtureLink::read_line(const Deadline& deadline) {
  std::array<std::uint8_t, 1024> buffer{};
  for (;;) {
    const auto newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (deadline.expired()) return std::nullopt;
    const std::size_t n = link_->read(buffer, deadline);
    const std::string chunk(reinterpret_cast<const char*>(buffer.data()), n);
    console_ += chunk;
    pending_ += chunk;
  }
}

void FixtureLink::write_line(std::string_view line) {
  std::string out(line);
  out += '\n';
  link_->write(ByteView(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()));
}

std::string FixtureLink::take_console() { return std::exchange(console_, {}); }

}  // namespace espfab::station
