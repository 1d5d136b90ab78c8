// One admin session on the broker's Dynamic Security control topic (libmosquitto, MQTT v5, TLS):
// connect, subscribe to the response topic, then send command batches and wait for their answers.
// Not thread-safe; cheap enough to open per registration.
#pragma once

#include <memory>
#include <vector>

#include "registry/broker_settings.hpp"
#include "registry/dynsec_protocol.hpp"

namespace espfab::registry {

class DynsecChannel {
 public:
  // Connects and subscribes within settings.timeout. Throws IoError (unreachable, TLS failure),
  // TimeoutError, PolicyRefusalError (the broker refused the admin login or the subscription).
  explicit DynsecChannel(const BrokerSettings& settings);
  ~DynsecChannel();
  DynsecChannel(const DynsecChannel&) = delete;
  DynsecChannel& operator=(const DynsecChannel&) = delete;

  // Sends the commands as one batch; returns their responses in order.
  std::vector<dynsec::Response> execute(const std::vector<nlohmann::json>& commands);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace espfab::registry
