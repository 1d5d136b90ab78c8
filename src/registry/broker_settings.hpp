// How the station reaches the broker's Dynamic Security admin API: the broker URL, TLS files, the
// admin identity (a client certificate, or a username with a password from an environment variable
// or a 0600 file: never from the profile itself, never logged), timeouts and retries.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "util/secret_bytes.hpp"

namespace espfab::registry {

struct BrokerAddress {
  std::string host;
  int port = 8883;
  bool tls = true;
};

// "mqtts://host[:port]" (TLS, default port 8883) or "mqtt://host[:port]" (plain, 1883).
// Throws BadInputError naming the problem.
BrokerAddress parse_broker_url(const std::string& url);

struct BrokerSettings {
  std::string url;
  std::filesystem::path ca_file;    // the CA that signed the broker's certificate
  std::filesystem::path cert_file;  // admin client certificate (mTLS); empty with a password login
  std::filesystem::path key_file;
  std::string username;  // password login (dynsec user); empty with a certificate login
  std::string password_env;
  std::filesystem::path password_file;
  std::string topic_prefix = "devices";  // a device may use <prefix>/<id>/# only
  std::chrono::milliseconds timeout{5000};
  unsigned attempts = 3;                   // per registration, before the outbox takes over
  std::chrono::milliseconds backoff{500};  // doubled after each failed attempt
};

// The admin password: from password_env when set, else from password_file, which must not be
// readable by group or others. Empty when the settings use a certificate login. Throws
// BadInputError when the variable is unset or the file is missing or too open.
SecretBytes load_broker_password(const BrokerSettings& settings);

// Checks the settings are complete (TLS files exist, one login method): BadInputError otherwise.
void check_broker_settings(const BrokerSettings& settings);

}  // namespace espfab::registry
