// What an operator changes on a running station from outside it (the web dashboard): a fixture
// paused between devices, and a faulted fixture held for an engineer instead of stopping. Shared by
// the fixture workers and the dashboard's threads; every call is thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

namespace espfab::station {

class FixtureControls {
 public:
  // A paused fixture finishes its device and then takes no new one until resumed.
  void set_paused(const std::string& fixture, bool paused);
  bool paused(const std::string& fixture) const;
  // A fixture whose device faulted waits (held) until an engineer resumed or scrapped the device,
  // then takes the device in it again; without controls it stops for the rest of the run.
  void hold(const std::string& fixture, const std::string& device_mac);
  // Releases the fixture holding the device (an engineer resumed or scrapped it); false when none does.
  bool release_device(const std::string& device_mac);
  void release(const std::string& fixture);
  bool held(const std::string& fixture) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string> paused_;
  std::map<std::string, std::string> held_;  // fixture -> the faulted device's MAC
};

}  // namespace espfab::station
