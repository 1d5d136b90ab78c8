// One device hello on its own thread, so the server's event loop (all devices, one thread) never
// waits for a broker. The result is one console line, picked up by the loop after `on_done` (a
// wake-up of its epoll set) ran on the worker. Destroying the task cancels it and joins: the
// worker checks the cancel flag every 50 ms.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "emulator/hello_broker.hpp"
#include "emulator/hello_client.hpp"

namespace espfab::emulator {

class HelloTask {
 public:
  HelloTask(HelloBroker broker, HelloMessage message, std::function<void()> on_done);
  ~HelloTask();
  HelloTask(const HelloTask&) = delete;
  HelloTask& operator=(const HelloTask&) = delete;
  HelloTask(HelloTask&&) = delete;
  HelloTask& operator=(HelloTask&&) = delete;

  // The chip reset: the result no longer matters; the worker stops soon.
  void cancel() noexcept { cancel_.store(true); }
  bool done() const;
  // The console line (without CRLF) once done; empty before that, and after it was taken.
  std::optional<std::string> take_line();

 private:
  void run(HelloBroker broker, HelloMessage message);

  std::atomic<bool> cancel_{false};
  std::function<void()> on_done_;
  mutable std::mutex mutex_;
  bool done_ = false;
  std::optional<std::string> line_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace espfab::emulator
