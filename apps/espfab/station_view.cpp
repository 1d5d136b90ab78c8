#include "station_view.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>

namespace espfab::cli {
namespace {

struct FixtureLine {
  std::string device;
  std::string step;
  std::string detail;
  std::uint64_t last_done = 0;
  std::chrono::steady_clock::time_point last_time{};
  double rate = 0;  // bytes/s
};

class TerminalView {
 public:
  void on(const station::StationEvent& e) {
    auto& line = lines_[e.fixture];
    const std::string who = e.serial.empty() ? e.mac : fmt::format("{} {}", e.serial, e.mac);
    if (!who.empty()) line.device = who;
    using Kind = station::StationEvent::Kind;
    switch (e.kind) {
      case Kind::Waiting:
        line.step = "waiting";
        line.detail = e.message;
        break;
      case Kind::DeviceStarted:
        line.step = "connect";
        line.detail.clear();
        break;
      case Kind::StepStarted:
        line.step = e.step;
        line.detail.clear();
        line.last_done = 0;
        break;
      case Kind::StepProgress: {
        if (!e.message.empty()) {
          line.detail = e.message;
          break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (line.last_done < e.done && line.last_time.time_since_epoch().count() != 0) {
          const double dt = std::chrono::duration<double>(now - line.last_time).count();
          if (dt > 0) line.rate = 0.7 * line.rate + 0.3 * static_cast<double>(e.done - line.last_done) / dt;
        }
        line.last_done = e.done;
        line.last_time = now;
        line.detail = fmt::format("{:3}%  {:.1f} KiB/s", e.total ? e.done * 100 / e.total : 0, line.rate / 1024);
        if (now - last_draw_ < std::chrono::milliseconds(100)) return;
        break;
      }
      case Kind::StepFinished: line.detail = e.outcome == "pass" ? "" : e.outcome + ": " + e.message; break;
      case Kind::DeviceFinished:
        line.step = e.outcome;
        line.detail = fmt::format("{:.1f} s{}", e.seconds, e.message.empty() ? "" : "  " + e.message);
        break;
      case Kind::FixtureStopped:
        line.step = e.outcome.empty() ? "stopped" : e.outcome;
        line.detail = e.message;
        break;
      case Kind::Warning:
        lines_.erase(e.fixture);
        std::cerr << fmt::format("warning[{}]: {}\n", e.step, e.message);
        return;
    }
    draw();
  }

 private:
  void draw() {
    last_draw_ = std::chrono::steady_clock::now();
    std::string out;
    if (drawn_ > 0) out += fmt::format("\x1b[{}A", drawn_);
    for (const auto& [fixture, line] : lines_) {
      std::string text = fmt::format("{:<10} {:<32} {:<16} {}", fixture, line.device, line.step, line.detail);
      if (text.size() > 150) text.resize(150);
      out += "\x1b[2K" + text + "\n";
    }
    drawn_ = lines_.size();
    std::cerr << out << std::flush;
  }
  std::map<std::string, FixtureLine> lines_;
  std::size_t drawn_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

void plain_line(const station::StationEvent& e) {
  using Kind = station::StationEvent::Kind;
  const std::string who = e.serial.empty() ? e.mac : fmt::format("{} ({})", e.serial, e.mac);
  if (e.kind == Kind::StepFinished && e.outcome != "pass" && e.outcome != "skipped") {
    std::cerr << fmt::format("{}: {} {}: {}: {}\n", e.fixture, who, e.step, e.outcome, e.message);
  } else if (e.kind == Kind::DeviceFinished) {
    std::cerr << fmt::format("{}: {} {} in {:.1f} s\n", e.fixture, who.empty() ? "device" : who, e.outcome, e.seconds);
  } else if (e.kind == Kind::FixtureStopped) {
    std::cerr << fmt::format("{}: {}: {}\n", e.fixture, e.outcome.empty() ? "stopped" : e.outcome, e.message);
  } else if (e.kind == Kind::Warning) {
    std::cerr << fmt::format("warning[{}]: {}\n", e.step, e.message);
  }
}

}  // namespace

station::StationObserver make_station_view(bool quiet) {
  if (quiet) return {};
  if (::isatty(STDERR_FILENO) == 0) return plain_line;
  auto view = std::make_shared<TerminalView>();
  return [view](const station::StationEvent& event) { view->on(event); };
}

}  // namespace espfab::cli
