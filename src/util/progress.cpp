#include "util/progress.hpp"

#include <utility>

namespace espfab {

double ProgressEvent::rate_per_second() const noexcept {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  if (seconds <= 0.0) return 0.0;
  return static_cast<double>(done) / seconds;
}

std::optional<std::chrono::seconds> ProgressEvent::eta() const noexcept {
  const double rate = rate_per_second();
  if (total == 0 || rate <= 0.0) return std::nullopt;
  if (done >= total) return std::chrono::seconds(0);
  return std::chrono::seconds(static_cast<long long>(static_cast<double>(total - done) / rate + 0.5));
}

ProgressReporter::ProgressReporter(ProgressCallback callback, std::string operation, std::string item,
                                   std::uint64_t total)
    : callback_(std::move(callback)), start_(std::chrono::steady_clock::now()) {
  event_.operation = std::move(operation);
  event_.item = std::move(item);
  event_.total = total;
}

void ProgressReporter::update(std::uint64_t done) {
  event_.done = done;
  event_.elapsed = std::chrono::steady_clock::now() - start_;
  if (callback_) callback_(event_);
}

void ProgressReporter::finish() { update(event_.total); }

}  // namespace espfab
