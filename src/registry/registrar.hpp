// Registering a provisioned device with whatever keeps the list of allowed devices: the MQTT
// broker's Dynamic Security (dynsec_registrar.hpp) or a manifest for a cloud registry's bulk
// import (manifest_registrar.hpp). The station's outbox retries a failed registration later.
#pragma once

#include <string>

namespace espfab::registry {

struct DeviceRegistration {
  std::string id;  // the certificate's CN: the broker username under use_identity_as_username
  std::string mac;
  std::string certificate_pem;
};

class Registrar {  // NOLINT(cppcoreguidelines-special-member-functions): an interface, used by pointer
 public:
  virtual ~Registrar() = default;
  // Idempotent: an identical registration already in place is success. Returns what happened
  // ("registered ...", "already registered ..."). Throws IoError/TimeoutError for what a later
  // retry may fix, PolicyRefusalError for a conflicting registration, BadInputError for bad input.
  virtual std::string register_device(const DeviceRegistration& device) = 0;
  // Removes the device from the allowed list; a device that is not there is success.
  virtual std::string deregister_device(const std::string& id) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace espfab::registry
