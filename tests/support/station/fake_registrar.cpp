#include "support/station/fake_registrar.hpp"

#include "util/error.hpp"

namespace espfab::test {

void FakeRegistrar::maybe_fail() {
  if (failures_left_ == 0) return;
  --failures_left_;
  throw IoError("registry.fake_unreachable", "the fake broker is unreachable", "start the broker");
}

std::string FakeRegistrar::register_device(const registry::DeviceRegistration& device) {
  calls_.push_back("register " + device.id);
  maybe_fail();
  if (device.id.empty()) throw BadInputError("registry.no_id", "a registration needs an id", "give the device a CN");
  const auto it = registered_.find(device.id);
  if (it != registered_.end()) {
    if (it->second.certificate_pem == device.certificate_pem && it->second.mac == device.mac) {
      return "already registered " + device.id;
    }
    throw PolicyRefusalError("registry.conflict", device.id + " is registered with another certificate",
                             "deregister the old device first");
  }
  registered_.emplace(device.id, device);
  return "registered " + device.id;
}

std::string FakeRegistrar::deregister_device(const std::string& id) {
  calls_.push_back("deregister " + id);
  maybe_fail();
  return registered_.erase(id) != 0 ? "deregistered " + id : id + " was not registered";
}

}  // namespace espfab::test
