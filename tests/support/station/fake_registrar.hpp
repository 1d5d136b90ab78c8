// An allowed-devices list in memory with the Registrar contract: an identical registration again
// is success ("already registered"), another certificate under the same id is a PolicyRefusalError
// (registry.conflict). Records every call; `fail_next` makes the next N register/deregister calls
// throw an IoError (registry.fake_unreachable), as a broker that is down would.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "registry/registrar.hpp"

namespace espfab::test {

class FakeRegistrar final : public registry::Registrar {
 public:
  std::string register_device(const registry::DeviceRegistration& device) override;
  std::string deregister_device(const std::string& id) override;
  std::string describe() const override { return "fake registrar (in memory)"; }

  void fail_next(unsigned calls) { failures_left_ = calls; }
  // "register <id>" / "deregister <id>", in order, failed calls included.
  const std::vector<std::string>& calls() const noexcept { return calls_; }
  // The allowed list: id -> registration.
  const std::map<std::string, registry::DeviceRegistration>& registered() const noexcept { return registered_; }

 private:
  void maybe_fail();

  unsigned failures_left_ = 0;
  std::vector<std::string> calls_;
  std::map<std::string, registry::DeviceRegistration> registered_;
};

}  // namespace espfab::test
