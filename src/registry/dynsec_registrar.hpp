// The device allow-list in Mosquitto's Dynamic Security plugin. A device is a dynsec client whose
// username is its certificate's CN (the broker runs use_identity_as_username), with one role that
// lets it publish and subscribe under <prefix>/<id>/# only. The registration is pinned to the
// certificate's fingerprint: the same device again is success, another certificate under the same
// CN is a conflict until the old one is deregistered. Deregistering deletes the client and its
// role (disableClient would not stop a certificate login).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "registry/broker_settings.hpp"
#include "registry/registrar.hpp"
#include "registry/retry_policy.hpp"

namespace espfab::registry {

class DynsecRegistrar final : public Registrar {
 public:
  explicit DynsecRegistrar(BrokerSettings settings);

  std::string register_device(const DeviceRegistration& device) override;
  std::string deregister_device(const std::string& id) override;
  std::string describe() const override;

  // The dynsec client of this id (getClient's data.client), or nothing when not registered.
  std::optional<nlohmann::json> lookup(const std::string& id);

 private:
  std::string register_once(const DeviceRegistration& device);
  std::string deregister_once(const std::string& id);

  BrokerSettings settings_;
  RetryPolicy retry_;
};

}  // namespace espfab::registry
