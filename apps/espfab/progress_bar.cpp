#include "progress_bar.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

namespace espfab::cli {

namespace {

constexpr int kBarWidth = 24;

std::string format_rate(double bytes_per_second) {
  if (bytes_per_second >= 1024.0 * 1024.0) return fmt::format("{:.1f} MiB/s", bytes_per_second / (1024.0 * 1024.0));
  return fmt::format("{:.1f} KiB/s", bytes_per_second / 1024.0);
}

}  // namespace

ProgressCallback make_progress_bar(bool quiet) {
  if (quiet || ::isatty(STDERR_FILENO) == 0) return {};
  auto last_item = std::make_shared<std::string>();
  return [last_item](const ProgressEvent& event) {
    if (*last_item != event.item && !last_item->empty()) std::cerr << "\n";
    *last_item = event.item;
    const double fraction = event.total == 0 ? 0.0 : static_cast<double>(event.done) / static_cast<double>(event.total);
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kBarWidth - filled), ' ');
    std::string line =
        fmt::format("\r{} [{}] {:3.0f}%  {}", event.item, bar, fraction * 100.0, format_rate(event.rate_per_second()));
    if (const auto eta = event.eta(); eta && !event.finished()) line += fmt::format("  ETA {}s", eta->count());
    std::cerr << line << "\033[K";
    if (event.finished()) {
      std::cerr << "\n";
      last_item->clear();
    }
    std::cerr.flush();
  };
}

}  // namespace espfab::cli
