#include "emulator/hello_task.hpp"

#include "util/log.hpp"

namespace espfab::emulator {

HelloTask::HelloTask(HelloBroker broker, HelloMessage message, std::function<void()> on_done)
    : on_done_(std::move(on_done)), thread_(&HelloTask::run, this, std::move(broker), std::move(message)) {}

HelloTask::~HelloTask() {
  cancel();
  if (thread_.joinable()) thread_.join();
}

bool HelloTask::done() const {
  const std::lock_guard lock(mutex_);
  return done_;
}

std::optional<std::string> HelloTask::take_line() {
  const std::lock_guard lock(mutex_);
  std::optional<std::string> line;
  line.swap(line_);
  return line;
}

void HelloTask::run(HelloBroker broker, HelloMessage message) {
  const std::string topic = hello_topic(message.serial);
  std::string line;
  try {
    line = hello_line(topic, send_hello(broker, std::move(message), cancel_));
  } catch (const std::exception& error) {  // a thread must not throw; the app reports it instead
    line = hello_line(topic, HelloOutcome{std::nullopt, error.what()});
  }
  if (cancel_.load()) {
    log::get("emulator")->debug("device hello to {} dropped: the chip was reset", broker.url);
  } else {
    log::get("emulator")->info("device hello to {}: {}", broker.url, line);
  }
  {
    const std::lock_guard lock(mutex_);
    if (!cancel_.load()) line_ = std::move(line);
    done_ = true;
  }
  if (on_done_ && !cancel_.load()) on_done_();
}

}  // namespace espfab::emulator
