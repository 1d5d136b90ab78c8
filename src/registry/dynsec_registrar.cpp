#include "registry/dynsec_registrar.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "registry/certificate_identity.hpp"
#include "registry/dynsec_channel.hpp"
#include "registry/dynsec_protocol.hpp"
#include "util/error.hpp"

namespace espfab::registry {
namespace {

[[noreturn]] void throw_refused(const dynsec::Response& response, const std::string& id) {
  throw PolicyRefusalError("registry.command_failed",
                           fmt::format("the broker refused {} for {}: {}", response.command, id, response.error),
                           "check that the admin login has the dynsec admin roles");
}

bool has_role(const nlohmann::json& client, const std::string& role) {
  if (!client.contains("roles") || !client["roles"].is_array()) return false;
  return std::any_of(client["roles"].begin(), client["roles"].end(),
                     [&](const nlohmann::json& r) { return r.value("rolename", "") == role; });
}

}  // namespace

DynsecRegistrar::DynsecRegistrar(BrokerSettings settings) : settings_(std::move(settings)) {
  check_broker_settings(settings_);
  retry_.attempts = settings_.attempts;
  retry_.backoff = settings_.backoff;
}

std::string DynsecRegistrar::describe() const { return fmt::format("mosquitto dynamic security at {}", settings_.url); }

std::string DynsecRegistrar::register_device(const DeviceRegistration& device) {
  return with_retries(retry_, [&] { return register_once(device); });
}

std::string DynsecRegistrar::deregister_device(const std::string& id) {
  check_device_id(id);
  return with_retries(retry_, [&] { return deregister_once(id); });
}

std::optional<nlohmann::json> DynsecRegistrar::lookup(const std::string& id) {
  check_device_id(id);
  DynsecChannel channel(settings_);
  const auto response = channel.execute({dynsec::get_client(id)}).at(0);
  if (dynsec::is_not_found(response)) return std::nullopt;
  if (!response.error.empty()) throw_refused(response, id);
  return response.data.value("client", nlohmann::json::object());
}

std::string DynsecRegistrar::register_once(const DeviceRegistration& device) {
  const auto identity = certificate_identity(device.certificate_pem);
  if (!device.id.empty() && device.id != identity.common_name) {
    throw BadInputError("registry.cn_mismatch",
                        fmt::format("device {}'s certificate has CN '{}'", device.id, identity.common_name),
                        "the broker knows a device by its certificate's CN: issue the certificate with CN = the "
                        "device's serial");
  }
  const std::string& id = identity.common_name;
  const std::string role = dynsec::device_role_name(id);
  const auto acls = dynsec::device_role_acls(settings_.topic_prefix, id);
  const std::string pin = dynsec::pinned_certificate(identity.sha256);

  DynsecChannel channel(settings_);
  const auto current = channel.execute({dynsec::get_client(id), dynsec::get_role(role)});
  const auto& client = current.at(0);
  const auto& existing_role = current.at(1);
  if (!client.error.empty() && !dynsec::is_not_found(client)) throw_refused(client, id);
  if (!existing_role.error.empty() && !dynsec::is_not_found(existing_role)) throw_refused(existing_role, id);

  if (existing_role.error.empty()) {
    const auto have = dynsec::normalised_acls(existing_role.data.value("role", nlohmann::json::object())["acls"]);
    if (have != dynsec::normalised_acls(acls)) {
      throw PolicyRefusalError(
          "registry.role_conflict",
          fmt::format("the broker already has a role {} with other permissions than {}/{}/#", role,
                      settings_.topic_prefix, id),
          fmt::format("inspect it with `mosquitto_ctrl dynsec getRole {}`; `espfab deregister {}` removes it", role,
                      id));
    }
  }
  if (client.error.empty()) {
    const auto found = client.data.value("client", nlohmann::json::object());
    const std::string pinned = found.value("textdescription", "");
    if (pinned != pin) {
      throw PolicyRefusalError("registry.conflict",
                               fmt::format("the broker already has a device {} registered {}", id,
                                           pinned.empty() ? "without espfab's certificate pin"
                                                          : "with another certificate (" + pinned + ")"),
                               fmt::format("if the device was re-provisioned, run `espfab deregister {}` first", id));
    }
    if (!has_role(found, role)) {
      throw PolicyRefusalError("registry.conflict",
                               fmt::format("the broker's client {} does not have its device role {}", id, role),
                               fmt::format("run `espfab deregister {}` and register it again", id));
    }
    return fmt::format("{} already registered with {}", id, describe());
  }

  std::vector<nlohmann::json> commands;
  if (!existing_role.error.empty()) commands.push_back(dynsec::create_role(role, acls));
  commands.push_back(dynsec::create_client(id, role, device.mac, pin));
  const auto created = channel.execute(commands);
  for (const auto& response : created) {
    if (response.error.empty()) continue;
    // Another station registered it between our look and our create: check it is the same one.
    if (dynsec::is_already_exists(response)) return register_once(device);
    throw_refused(response, id);
  }
  return fmt::format("{} registered with {}", id, describe());
}

std::string DynsecRegistrar::deregister_once(const std::string& id) {
  DynsecChannel channel(settings_);
  const auto responses =
      channel.execute({dynsec::delete_client(id), dynsec::delete_role(dynsec::device_role_name(id))});
  bool removed = false;
  for (const auto& response : responses) {
    if (response.error.empty()) {
      removed = true;
    } else if (!dynsec::is_not_found(response)) {
      throw_refused(response, id);
    }
  }
  return removed ? fmt::format("{} deregistered from {}", id, describe())
                 : fmt::format("{} was not registered with {}", id, describe());
}

}  // namespace espfab::registry
