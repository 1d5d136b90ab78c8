// One fixture with a module changer, for e2e tests: a TCP port the station opens as its fixture
// (rfc2217://127.0.0.1:PORT), relayed byte for byte to one espfab-emu device at a time. insert()
// is the operator taking the module out and putting the next one in: the station's connection to
// the fixture stays, the chip behind it changes (a new RFC 2217 session, as after a replug). The
// emulator cannot swap a device's chip itself; this is how a test shows a new device arriving.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "util/unique_fd.hpp"

namespace espfab::test {

class FixtureSwitch {
 public:
  // Starts with `device_url` ("rfc2217://127.0.0.1:P" of an emulator device) in the fixture.
  explicit FixtureSwitch(const std::string& device_url);
  ~FixtureSwitch();
  FixtureSwitch(const FixtureSwitch&) = delete;
  FixtureSwitch& operator=(const FixtureSwitch&) = delete;
  FixtureSwitch(FixtureSwitch&&) = delete;
  FixtureSwitch& operator=(FixtureSwitch&&) = delete;

  // The fixture's URL for `espfab run --port`.
  std::string url() const;
  // Puts the device at `device_url` into the fixture instead; returns once it is connected.
  void insert(const std::string& device_url);

 private:
  void relay();

  UniqueFd listener_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable inserted_;
  std::optional<std::string> next_;  // a device waiting to be put in (the relay thread connects it)
  std::string error_;                // why the last one could not be connected
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace espfab::test
