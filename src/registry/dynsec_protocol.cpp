#include "registry/dynsec_protocol.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::registry::dynsec {

using nlohmann::json;

std::string device_role_name(std::string_view id) { return fmt::format("espfab-device-{}", id); }

json device_role_acls(std::string_view topic_prefix, std::string_view id) {
  const auto topic = fmt::format("{}/{}/#", topic_prefix, id);
  return json::array({{{"acltype", "publishClientSend"}, {"topic", topic}, {"priority", 0}, {"allow", true}},
                      {{"acltype", "subscribePattern"}, {"topic", topic}, {"priority", 0}, {"allow", true}}});
}

std::string pinned_certificate(std::string_view sha256_hex) { return fmt::format("cert-sha256:{}", sha256_hex); }

json create_role(std::string_view role, const json& acls) {
  return {{"command", "createRole"}, {"rolename", role}, {"acls", acls}};
}

json create_client(std::string_view username, std::string_view role, std::string_view textname,
                   std::string_view textdescription) {
  return {{"command", "createClient"},
          {"username", username},
          {"textname", textname},
          {"textdescription", textdescription},
          {"roles", json::array({{{"rolename", role}}})}};
}

json get_client(std::string_view username) { return {{"command", "getClient"}, {"username", username}}; }
json get_role(std::string_view role) { return {{"command", "getRole"}, {"rolename", role}}; }
json delete_client(std::string_view username) { return {{"command", "deleteClient"}, {"username", username}}; }
json delete_role(std::string_view role) { return {{"command", "deleteRole"}, {"rolename", role}}; }

json command_batch(const std::vector<json>& commands, std::string_view tag) {
  json batch = {{"commands", json::array()}};
  for (std::size_t i = 0; i < commands.size(); ++i) {
    json command = commands[i];
    command["correlationData"] = fmt::format("{}-{}", tag, i);
    batch["commands"].push_back(std::move(command));
  }
  return batch;
}

std::vector<Response> parse_responses(std::string_view payload) {
  const auto message = json::parse(payload, nullptr, false);
  if (message.is_discarded() || !message.is_object() || !message.contains("responses") ||
      !message["responses"].is_array()) {
    throw ProtocolError(
        "registry.bad_response",
        fmt::format("the broker's dynamic-security response is not {{\"responses\":[...]}}: {:.120}", payload),
        "is the dynamic security plugin loaded (plugin ... mosquitto_dynamic_security.so)?");
  }
  std::vector<Response> out;
  for (const auto& item : message["responses"]) {
    Response response;
    response.command = item.value("command", "");
    response.error = item.value("error", "");
    if (item.contains("data")) response.data = item["data"];
    response.correlation = item.value("correlationData", "");
    out.push_back(std::move(response));
  }
  return out;
}

std::vector<Response> responses_for(const std::vector<Response>& all, std::string_view tag) {
  std::vector<Response> mine;
  const auto prefix = fmt::format("{}-", tag);
  for (const auto& response : all)
    if (response.correlation.starts_with(prefix)) mine.push_back(response);
  std::sort(mine.begin(), mine.end(), [&](const Response& a, const Response& b) {
    return std::stoul(a.correlation.substr(prefix.size())) < std::stoul(b.correlation.substr(prefix.size()));
  });
  return mine;
}

bool is_not_found(const Response& response) { return response.error.ends_with("not found"); }
bool is_already_exists(const Response& response) { return response.error.ends_with("already exists"); }

std::vector<std::string> normalised_acls(const json& acls) {
  std::vector<std::string> out;
  if (!acls.is_array()) return out;
  for (const auto& acl : acls) {
    out.push_back(fmt::format("{} {} {}", acl.value("acltype", ""), acl.value("topic", ""),
                              acl.value("allow", false) ? "allow" : "deny"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace espfab::registry::dynsec
