// Mosquitto Dynamic Security's control API as data: the JSON commands the registrar sends to
// $CONTROL/dynamic-security/v1 and the responses it reads back from .../response. Facts from
// mosquitto 2.0's plugins/dynamic-security (command names, fields, error texts); no I/O here.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace espfab::registry::dynsec {

inline constexpr std::string_view kControlTopic = "$CONTROL/dynamic-security/v1";
inline constexpr std::string_view kResponseTopic = "$CONTROL/dynamic-security/v1/response";

// The role that lets one device publish and subscribe under <prefix>/<id>/# and nowhere else.
std::string device_role_name(std::string_view id);
nlohmann::json device_role_acls(std::string_view topic_prefix, std::string_view id);
// What createClient's textdescription holds: the certificate the registration is pinned to.
std::string pinned_certificate(std::string_view sha256_hex);

nlohmann::json create_role(std::string_view role, const nlohmann::json& acls);
nlohmann::json create_client(std::string_view username, std::string_view role, std::string_view textname,
                             std::string_view textdescription);
nlohmann::json get_client(std::string_view username);
nlohmann::json get_role(std::string_view role);
nlohmann::json delete_client(std::string_view username);
nlohmann::json delete_role(std::string_view role);

// {"commands":[...]} with correlationData "<tag>-<index>" on each command.
nlohmann::json command_batch(const std::vector<nlohmann::json>& commands, std::string_view tag);

struct Response {
  std::string command;
  std::string error;  // empty on success
  nlohmann::json data = nlohmann::json::object();
  std::string correlation;
};

// Parses {"responses":[...]}; throws ProtocolError on anything else.
std::vector<Response> parse_responses(std::string_view payload);
// The responses of the batch sent with `tag`, in order; empty when the message is someone else's.
std::vector<Response> responses_for(const std::vector<Response>& all, std::string_view tag);

// Dynsec's error texts for "not there" and "already there".
bool is_not_found(const Response& response);
bool is_already_exists(const Response& response);

// ACLs as a sorted, comparable list of "acltype topic allow" strings.
std::vector<std::string> normalised_acls(const nlohmann::json& acls);

}  // namespace espfab::registry::dynsec
