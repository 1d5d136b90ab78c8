#include "station/fixture_controls.hpp"

namespace espfab::station {

void FixtureControls::set_paused(const std::string& fixture, bool paused) {
  std::lock_guard lock(mutex_);
  if (paused) {
    paused_.insert(fixture);
  } else {
    paused_.erase(fixture);
  }
}

bool FixtureControls::paused(const std::string& fixture) const {
  std::lock_guard lock(mutex_);
  return paused_.contains(fixture);
}

void FixtureControls::hold(const std::string& fixture, const std::string& device_mac) {
  std::lock_guard lock(mutex_);
  held_[fixture] = device_mac;
}

bool FixtureControls::release_device(const std::string& device_mac) {
  std::lock_guard lock(mutex_);
  return std::erase_if(held_, [&](const auto& entry) { return entry.second == device_mac; }) > 0;
}

void FixtureControls::release(const std::string& fixture) {
  std::lock_guard lock(mutex_);
  held_.erase(fixture);
}

bool FixtureControls::held(const std::string& fixture) const {
  std::lock_guard lock(mutex_);
  return held_.contains(fixture);
}

}  // namespace espfab::station
