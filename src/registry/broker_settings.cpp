#include "registry/broker_settings.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::registry {

BrokerAddress parse_broker_url(const std::string& url) {
  BrokerAddress out;
  std::string_view rest = url;
  if (rest.starts_with("mqtts://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("mqtt://")) {
    rest.remove_prefix(7);
    out.tls = false;
    out.port = 1883;
  } else {
    throw BadInputError("registry.bad_url", fmt::format("broker URL '{}' is not mqtts:// or mqtt://", url),
                        "write it as mqtts://host:8883");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  out.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) {
    const auto digits = rest.substr(colon + 1);
    int port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      throw BadInputError("registry.bad_url", fmt::format("broker URL '{}' has a bad port", url),
                          "the port is a number from 1 to 65535");
    }
    out.port = port;
  }
  if (out.host.empty()) {
    throw BadInputError("registry.bad_url", fmt::format("broker URL '{}' has no host", url),
                        "write it as mqtts://host:8883");
  }
  return out;
}

SecretBytes load_broker_password(const BrokerSettings& settings) {
  if (!settings.password_env.empty()) {
    const char* value = std::getenv(settings.password_env.c_str());
    if (value == nullptr) {
      throw BadInputError("registry.password_unset",
                          fmt::format("the broker admin password variable {} is not set", settings.password_env),
                          "export it before starting the station, or use password_file");
    }
    const std::string_view text(value);
    return SecretBytes(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  if (settings.password_file.empty()) return {};
  struct stat info {};
  if (::stat(settings.password_file.c_str(), &info) != 0) {
    throw BadInputError("registry.password_file",
                        fmt::format("the broker password file {} does not exist", settings.password_file.string()),
                        "create it with mode 0600 or fix password_file in [registration]");
  }
  if ((info.st_mode & 077) != 0) {
    throw BadInputError("registry.password_file_mode",
                        fmt::format("the broker password file {} is readable by others (mode {:o})",
                                    settings.password_file.string(), info.st_mode & 0777),
                        fmt::format("chmod 600 {}", settings.password_file.string()));
  }
  auto bytes = read_file(settings.password_file);
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.pop_back();
  return SecretBytes(std::move(bytes));
}

void check_broker_settings(const BrokerSettings& settings) {
  const auto address = parse_broker_url(settings.url);
  auto require_file = [](const std::filesystem::path& file, const char* what) {
    if (!file.empty() && !std::filesystem::exists(file)) {
      throw BadInputError("registry.missing_file", fmt::format("the {} {} does not exist", what, file.string()),
                          "fix the path in [registration]");
    }
  };
  require_file(settings.ca_file, "broker CA file");
  require_file(settings.cert_file, "admin certificate");
  require_file(settings.key_file, "admin key");
  if (address.tls && settings.ca_file.empty()) {
    throw BadInputError("registry.no_ca", "a TLS broker needs the CA that signed its certificate",
                        "set ca_file in [registration]");
  }
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    throw BadInputError("registry.half_cert", "the admin certificate and key come together",
                        "set both cert_file and key_file, or neither");
  }
  if (settings.cert_file.empty() && settings.username.empty()) {
    throw BadInputError(
        "registry.no_login", "no admin login for the broker",
        "set cert_file and key_file (a client certificate) or username with password_env/password_file");
  }
  if (!settings.username.empty() && settings.password_env.empty() && settings.password_file.empty()) {
    throw BadInputError("registry.no_password", "a username login needs a password source",
                        "set password_env (an environment variable) or password_file (mode 0600)");
  }
}

}  // namespace espfab::registry
