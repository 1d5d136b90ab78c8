// A raw-ZPL label printer for the line's e2e tests (every station's [label] printer = "tcp" points
// at it): a thread that takes print jobs on a loopback port and counts the labels by the serial in
// their QR payload, so a label printed twice, by one station or two, shows.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "util/unique_fd.hpp"

namespace espfab::test {

class LabelCounter {
 public:
  LabelCounter();  // listening when it returns
  ~LabelCounter();
  LabelCounter(const LabelCounter&) = delete;
  LabelCounter& operator=(const LabelCounter&) = delete;
  LabelCounter(LabelCounter&&) = delete;
  LabelCounter& operator=(LabelCounter&&) = delete;

  int port() const { return port_; }
  // Serial -> labels printed for it ("?" counts jobs without a readable payload).
  std::map<std::string, int> printed() const;

 private:
  void serve();
  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, int> printed_;
  std::thread thread_;
};

}  // namespace espfab::test
