#include "station/station_profile.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "chip/esp32s3.hpp"
#include "image/idf_build.hpp"
#include "loader/auto_baud.hpp"
#include "security/security_profile_file.hpp"
#include "station/idf_build_check.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

class Problems {
 public:
  explicit Problems(std::filesystem::path file) : file_(std::move(file)) {}
  void add(const toml::node& where, const std::string& what) {
    const auto& at = where.source().begin;
    lines_.push_back(fmt::format("{}:{}:{}: {}", file_.string(), at.line, at.column, what));
  }
  void add(const std::string& what) { lines_.push_back(fmt::format("{}: {}", file_.string(), what)); }
  void add_raw(const std::string& line) { lines_.push_back(line); }
  void throw_if_any() const {
    if (lines_.empty()) return;
    std::string message = fmt::format("{} problem(s) in the station profile:", lines_.size());
    for (const auto& line : lines_) message += "\n  " + line;
    throw BadInputError("station.profile", message, "fix each line above; docs/station-profile.md describes every key");
  }

 private:
  std::filesystem::path file_;
  std::vector<std::string> lines_;
};

// The keys each section accepts; anything else is reported as a likely typo.
const std::map<std::string, std::set<std::string>> kSectionKeys{
    {"station",
     {"id", "data_dir", "baud", "stub", "outbox_retry_ms", "outbox_wait_s", "outbox_claim_s", "auto_resume", "database",
      "database_password_env", "database_password_file", "serial_lease"}},
    {"fixtures", {"ports", "baud"}},
    {"images",
     {"bootloader", "partition_table", "factory_test_app", "production_app", "idf_build", "factory_test_idf_build",
      "production_slot", "factory_test_slot", "data", "flash_size", "secure_version"}},
    {"test", {"request_timeout_ms", "boot_timeout_ms", "measurement"}},
    {"identity",
     {"key_type", "container", "ds_key_block", "rsa_bits", "common_name", "organization", "organizational_unit",
      "serial_number", "dns_names", "validity_days"}},
    {"ca", {"backend",    "dir",         "module",      "token",      "key_label",    "key_id",
            "pin_env",    "pin_file",    "certificate", "state_dir",  "server",       "reference",
            "secret_env", "secret_file", "client_cert", "client_key", "server_trust", "ca_certificate",
            "timeout_ms", "recipient",   "attempts",    "tls_trust"}},
    {"serial", {"prefix", "width", "first"}},
    {"registration",
     {"manifest", "manifest_format", "broker", "ca_file", "cert_file", "key_file", "username", "password_env",
      "password_file", "topic_prefix", "timeout_ms", "attempts", "device_hello", "hello_timeout_ms"}},
    {"label", {"printer", "dir", "formats", "queue", "address", "width_mm", "height_mm", "dpi"}},
    {"security", {}},  // checked by security/security_profile_file
};
const std::set<std::string> kMeasurementKeys{"name",   "kind",    "pair", "sensor", "ssid",
                                             "region", "channel", "min",  "max",    "unit"};

std::filesystem::path relative_to(const std::filesystem::path& file, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : file.parent_path() / p;
}

class Reader {
 public:
  Reader(const std::filesystem::path& file, Problems& problems, bool paths_must_exist = true)
      : file_(file), problems_(problems), paths_must_exist_(paths_must_exist) {}

  template <typename T>
  std::optional<T> get(const toml::table& table, const char* key, const char* expected) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (auto value = node->value<T>()) return *value;
    problems_.add(*node, fmt::format("'{}' must be {}", key, expected));
    return std::nullopt;
  }

  // An integer in [min, max]; outside it is reported as "'key' must be min..max".
  std::optional<std::int64_t> integer_in(const toml::table& table, const char* key, std::int64_t min,
                                         std::int64_t max) {
    const auto value = get<std::int64_t>(table, key, "an integer");
    if (!value) return std::nullopt;
    if (*value < min || *value > max) {
      problems_.add(*table.get(key), fmt::format("'{}' must be {}..{}", key, min, max));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::filesystem::path> existing_file(const toml::table& table, const char* key) {
    return existing(table, key, "a file path", "does not exist",
                    [](const std::filesystem::path& p) { return std::filesystem::is_regular_file(p); });
  }

  std::optional<std::filesystem::path> existing_dir(const toml::table& table, const char* key) {
    return existing(table, key, "a directory path", "is not a directory",
                    [](const std::filesystem::path& p) { return std::filesystem::is_directory(p); });
  }

  std::vector<std::string> strings(const toml::table& table, const char* key) {
    std::vector<std::string> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    const toml::array* list = node->as_array();
    if (list == nullptr) {
      problems_.add(*node, fmt::format("'{}' must be a list of strings", key));
      return out;
    }
    for (const auto& item : *list) {
      if (auto s = item.value<std::string>()) {
        out.push_back(*s);
      } else {
        problems_.add(item, fmt::format("each entry of '{}' must be a string", key));
      }
    }
    return out;
  }

 private:
  // A path relative to the profile file that `is_there` accepts; else a problem naming it.
  template <typename Check>
  std::optional<std::filesystem::path> existing(const toml::table& table, const char* key, const char* expected,
                                                const char* missing, Check is_there) {
    const auto text = get<std::string>(table, key, expected);
    if (!text) return std::nullopt;
    auto full = relative_to(file_, *text);
    if (paths_must_exist_ && !is_there(full)) {
      problems_.add(*table.get(key), fmt::format("{} {}", full.string(), missing));
      return std::nullopt;
    }
    return full;
  }

  const std::filesystem::path& file_;
  Problems& problems_;
  bool paths_must_exist_;
};

// [ca]: the company CA. Keys of the other backends are reported, so a half-edited profile is seen.
void read_ca(Reader& reader, const toml::table& ca, const std::filesystem::path& path, Problems& problems,
             StationProfile& out) {
  const auto backend = reader.get<std::string>(ca, "backend", "a string").value_or("local");
  const std::set<std::string> local_keys{"backend", "dir"};
  const std::set<std::string> pkcs11_keys{"backend", "module",   "token",       "key_label", "key_id",
                                          "pin_env", "pin_file", "certificate", "state_dir"};
  const std::set<std::string> cmp_keys{"backend",     "server",     "reference",    "secret_env",     "secret_file",
                                       "client_cert", "client_key", "server_trust", "ca_certificate", "timeout_ms",
                                       "recipient",   "attempts",   "tls_trust"};
  const std::set<std::string>* allowed = nullptr;
  const auto text = [&](const char* key) { return reader.get<std::string>(ca, key, "a string").value_or(""); };
  const auto file = [&](const char* key) {
    const auto value = reader.get<std::string>(ca, key, "a file path");
    return value ? relative_to(path, *value) : std::filesystem::path();
  };
  if (backend == "local") {
    allowed = &local_keys;
    out.ca_backend = StationProfile::CaBackendKind::Local;
    if (const auto dir = reader.get<std::string>(ca, "dir", "a directory path")) {
      out.ca_dir = relative_to(path, *dir);
    } else {
      problems.add("[ca] needs 'dir' (the local CA's directory, made with `espfab ca init DIR`)");
    }
  } else if (backend == "pkcs11") {
    allowed = &pkcs11_keys;
    out.ca_backend = StationProfile::CaBackendKind::Pkcs11;
    auto& config = out.pkcs11;
    if (ca.get("module") != nullptr) config.module = file("module");
    config.token_label = text("token");
    config.key_label = text("key_label");
    config.key_id = text("key_id");
    config.pin_env = text("pin_env");
    config.pin_file = file("pin_file");
    config.certificate = file("certificate");
    config.state_dir = file("state_dir");
    if (config.token_label.empty()) problems.add("[ca] backend = \"pkcs11\" needs 'token' (the token's label)");
    if (config.key_label.empty() && config.key_id.empty())
      problems.add("[ca] backend = \"pkcs11\" needs 'key_label' or 'key_id' (the CA key in the token)");
    if (config.pin_env.empty() == config.pin_file.empty())
      problems.add(
          "[ca] backend = \"pkcs11\" needs one of 'pin_env' or 'pin_file' (the user PIN; never the PIN itself)");
    if (config.certificate.empty() || config.state_dir.empty())
      problems.add("[ca] backend = \"pkcs11\" needs 'certificate' (the CA certificate PEM) and 'state_dir' (serials)");
  } else if (backend == "cmp") {
    allowed = &cmp_keys;
    out.ca_backend = StationProfile::CaBackendKind::Cmp;
    auto& config = out.cmp;
    config.server = text("server");
    config.reference = text("reference");
    config.secret_env = text("secret_env");
    config.secret_file = file("secret_file");
    config.client_cert = file("client_cert");
    config.client_key = file("client_key");
    config.server_trust = file("server_trust");
    config.tls_trust = file("tls_trust");
    config.ca_certificate = file("ca_certificate");
    config.recipient = text("recipient");
    if (const auto timeout = reader.integer_in(ca, "timeout_ms", 1000, 600000))
      config.timeout = std::chrono::milliseconds(*timeout);
    if (const auto attempts = reader.integer_in(ca, "attempts", 1, 10))
      config.attempts = static_cast<unsigned>(*attempts);
    if (config.server.empty())
      problems.add("[ca] backend = \"cmp\" needs 'server' (https://host:port/path or http://host:port/path)");
    const bool https = config.server.rfind("https://", 0) == 0;
    if (https && config.tls_trust.empty())
      problems.add("[ca] server is https:// and needs 'tls_trust' (the CA file of the server's TLS certificate)");
    if (!https && !config.server.empty() && !config.tls_trust.empty())
      problems.add(*ca.get("tls_trust"), "'tls_trust' is for an https:// server; [ca] server is not https://");
    if (config.ca_certificate.empty())
      problems.add("[ca] backend = \"cmp\" needs 'ca_certificate' (the certificate devices chain to)");
  } else {
    problems.add(*ca.get("backend"),
                 fmt::format("unknown CA backend '{}'; use \"local\", \"pkcs11\" or \"cmp\"", backend));
    return;
  }
  for (const auto& [key, node] : ca) {
    if (allowed->count(std::string(key.str())) == 0)
      problems.add(node, fmt::format("'{}' is not a key of [ca] backend = \"{}\"", key.str(), backend));
  }
}

void read_registration(Reader& reader, const toml::table& section, const std::filesystem::path& path,
                       Problems& problems, StationProfile& out) {
  auto& spec = out.registration;
  const auto manifest = reader.get<std::string>(section, "manifest", "a file path");
  spec.manifest = manifest ? relative_to(path, *manifest) : out.data_dir / "registrations.jsonl";
  if (const auto format = reader.get<std::string>(section, "manifest_format", "a string")) {
    try {
      spec.manifest_format = registry::parse_manifest_format(*format);
    } catch (const BadInputError& error) {
      problems.add(*section.get("manifest_format"), error.message() + "; " + error.hint());
    }
  }
  spec.device_hello = reader.get<bool>(section, "device_hello", "true or false").value_or(false);
  if (const auto timeout = reader.integer_in(section, "hello_timeout_ms", 1000, 600000))
    spec.hello_timeout_ms = static_cast<unsigned>(*timeout);
  const auto broker = reader.get<std::string>(section, "broker", "a URL (mqtts://host:port)");
  if (!broker) {
    if (spec.device_hello) problems.add(*section.get("device_hello"), "'device_hello' needs 'broker'");
    for (const char* key : {"ca_file", "cert_file", "key_file", "username", "password_env", "password_file"}) {
      if (section.get(key) != nullptr) problems.add(*section.get(key), fmt::format("'{}' needs 'broker'", key));
    }
    return;
  }
  registry::BrokerSettings settings;
  settings.url = *broker;
  const auto file = [&](const char* key) -> std::filesystem::path {
    const auto found = reader.existing_file(section, key);
    return found ? *found : std::filesystem::path();
  };
  settings.ca_file = file("ca_file");
  settings.cert_file = file("cert_file");
  settings.key_file = file("key_file");
  settings.username = reader.get<std::string>(section, "username", "a string").value_or("");
  settings.password_env = reader.get<std::string>(section, "password_env", "an environment variable name").value_or("");
  if (const auto password_file = reader.get<std::string>(section, "password_file", "a file path"))
    settings.password_file = relative_to(path, *password_file);
  settings.topic_prefix = reader.get<std::string>(section, "topic_prefix", "a string").value_or(settings.topic_prefix);
  if (const auto timeout = reader.integer_in(section, "timeout_ms", 100, 600000))
    settings.timeout = std::chrono::milliseconds(*timeout);
  if (const auto attempts = reader.integer_in(section, "attempts", 1, 20))
    settings.attempts = static_cast<unsigned>(*attempts);
  try {
    registry::check_broker_settings(settings);
  } catch (const BadInputError& error) {
    problems.add(*section.get("broker"), error.message() + "; " + error.hint());
  }
  spec.broker = std::move(settings);
}

void read_label(Reader& reader, const toml::table& section, const std::filesystem::path& path, Problems& problems,
                StationProfile& out) {
  auto& spec = out.label;
  const auto labels = reader.get<std::string>(section, "dir", "a directory path");
  out.labels_dir = labels ? relative_to(path, *labels) : out.data_dir / "labels";
  const auto printer = reader.get<std::string>(section, "printer", "a string").value_or("directory");
  if (printer == "directory") {
    spec.printer = LabelSpec::Printer::Directory;
  } else if (printer == "cups") {
    spec.printer = LabelSpec::Printer::Cups;
    spec.queue = reader.get<std::string>(section, "queue", "a CUPS queue name").value_or("");
    if (spec.queue.empty()) problems.add(*section.get("printer"), "printer = \"cups\" needs 'queue' (the CUPS queue)");
  } else if (printer == "tcp") {
    spec.printer = LabelSpec::Printer::RawTcp;
    const auto address = reader.get<std::string>(section, "address", "\"host:port\"").value_or("");
    const auto colon = address.rfind(':');
    spec.host = address.substr(0, colon);
    if (colon != std::string::npos) {
      const auto port = std::atoi(address.c_str() + colon + 1);
      if (port < 1 || port > 65535) problems.add(*section.get("address"), "'address' has a bad port (1..65535)");
      spec.port = static_cast<std::uint16_t>(port);
    }
    if (spec.host.empty())
      problems.add(*section.get("printer"), "printer = \"tcp\" needs 'address' (\"host:9100\", a ZPL printer)");
  } else {
    problems.add(*section.get("printer"),
                 fmt::format("unknown label printer '{}'; use \"directory\", \"cups\" or \"tcp\"", printer));
  }
  if (section.get("formats") != nullptr) {
    spec.formats.clear();
    for (const auto& name : reader.strings(section, "formats")) {
      try {
        spec.formats.push_back(label::parse_label_format(name));
      } catch (const BadInputError& error) {
        problems.add(*section.get("formats"), error.message());
      }
    }
    if (spec.formats.empty()) problems.add(*section.get("formats"), "'formats' needs at least one of png, pdf, zpl");
  }
  if (const auto width = reader.get<double>(section, "width_mm", "a number of millimetres"))
    spec.size.width_mm = *width;
  if (const auto height = reader.get<double>(section, "height_mm", "a number of millimetres"))
    spec.size.height_mm = *height;
  if (const auto dpi = reader.get<std::int64_t>(section, "dpi", "an integer")) spec.size.dpi = static_cast<int>(*dpi);
  try {
    label::validate_label_size(spec.size);
    // The longest serial the scheme makes must fit at >= 3 dots per QR module.
    label::plan_label(
        {std::string(out.serial.prefix.size() + out.serial.width, '9'), "7c:df:a1:00:00:01", "2026-01-01"}, spec.size);
  } catch (const BadInputError& error) {
    problems.add(fmt::format("[label] {} ({})", error.message(), error.hint()));
  }
}

const std::map<std::string, MeasurementSpec::Kind> kKinds{
    {"gpio_loopback", MeasurementSpec::Kind::GpioLoopback},
    {"sensor", MeasurementSpec::Kind::Sensor},
    {"wifi_rssi", MeasurementSpec::Kind::WifiRssi},
    {"mem_test", MeasurementSpec::Kind::MemTest},
    {"adc", MeasurementSpec::Kind::Adc},
};

void read_measurement(const toml::table& entry, Reader& reader, Problems& problems, TestPlan& plan) {
  for (const auto& [key, node] : entry) {
    if (kMeasurementKeys.count(std::string(key.str())) == 0) {
      problems.add(node, fmt::format("unknown key '{}' in [[test.measurement]] (a typo?)", key.str()));
    }
  }
  MeasurementSpec spec;
  const auto name = reader.get<std::string>(entry, "name", "a string");
  const auto kind = reader.get<std::string>(entry, "kind", "a string");
  if (!name || name->empty()) {
    problems.add(entry, "a measurement needs a 'name'");
    return;
  }
  spec.name = *name;
  const auto found = kind ? kKinds.find(*kind) : kKinds.end();
  if (found == kKinds.end()) {
    problems.add(entry, fmt::format("measurement '{}': 'kind' must be one of gpio_loopback, sensor, wifi_rssi, "
                                    "mem_test, adc",
                                    spec.name));
    return;
  }
  spec.kind = found->second;
  // A limit of nan or inf judges nothing (every comparison with nan is false).
  const auto limit = [&](const char* key) -> std::optional<double> {
    const auto value = reader.get<double>(entry, key, "a number");
    if (value && !std::isfinite(*value)) {
      problems.add(*entry.get(key), fmt::format("measurement '{}': '{}' must be a finite number", spec.name, key));
      return std::nullopt;
    }
    return value;
  };
  spec.min = limit("min");
  spec.max = limit("max");
  spec.unit = reader.get<std::string>(entry, "unit", "a string").value_or("");
  auto need = [&](const char* key) -> std::string {
    auto value = reader.get<std::string>(entry, key, "a string");
    if (!value) problems.add(entry, fmt::format("measurement '{}' ({}) needs '{}'", spec.name, *kind, key));
    return value.value_or("");
  };
  switch (spec.kind) {
    case MeasurementSpec::Kind::GpioLoopback: {
      const toml::array* pair = entry.get("pair") ? entry.get("pair")->as_array() : nullptr;
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].value<int>() || !(*pair)[1].value<int>()) {
        problems.add(entry, fmt::format("measurement '{}': 'pair' must be [OUT_PIN, IN_PIN]", spec.name));
        return;
      }
      spec.gpio_out = *(*pair)[0].value<int>();
      spec.gpio_in = *(*pair)[1].value<int>();
      break;
    }
    case MeasurementSpec::Kind::Sensor: spec.target = need("sensor"); break;
    case MeasurementSpec::Kind::WifiRssi:
      spec.target = need("ssid");
      if (spec.unit.empty()) spec.unit = "dBm";
      break;
    case MeasurementSpec::Kind::MemTest: spec.target = need("region"); break;
    case MeasurementSpec::Kind::Adc:
      spec.channel = reader.get<int>(entry, "channel", "an integer").value_or(0);
      if (spec.unit.empty()) spec.unit = "mV";
      break;
  }
  if (spec.min && spec.max && *spec.min > *spec.max) {
    problems.add(entry, fmt::format("measurement '{}': min {} is above max {}", spec.name, *spec.min, *spec.max));
  }
  for (const auto& other : plan.measurements) {
    if (other.name == spec.name) problems.add(entry, fmt::format("measurement '{}' is listed twice", spec.name));
  }
  plan.measurements.push_back(std::move(spec));
}

toml::table parse_profile_toml(const std::string& text, const std::filesystem::path& path) {
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& error) {
    const auto& at = error.source().begin;
    throw BadInputError("station.profile",
                        fmt::format("{}:{}:{}: {}", path.string(), at.line, at.column, error.description()),
                        "fix the TOML syntax at that place");
  }
}

// Every section and key must be one the profile knows: a typo is a problem, not a silent default.
void check_known_keys(const toml::table& root, Problems& problems) {
  for (const auto& [key, node] : root) {
    const auto section = kSectionKeys.find(std::string(key.str()));
    if (section == kSectionKeys.end()) {
      problems.add(node, fmt::format("unknown section [{}] (a typo?)", key.str()));
      continue;
    }
    if (section->second.empty() || !node.is_table()) continue;
    for (const auto& [inner, value] : *node.as_table()) {
      if (section->second.count(std::string(inner.str())) == 0) {
        problems.add(value, fmt::format("unknown key '{}' in [{}] (a typo?)", inner.str(), key.str()));
      }
    }
  }
}

// `baud` = a rate or "auto", in [fixtures] (the issue's place: the rate is the fixtures' link's)
// or in [station] (where it always was), not in both.
void read_baud(const toml::table& station, const toml::table& fixtures, Problems& problems, StationProfile& out) {
  const toml::node* in_station = station.get("baud");
  const toml::node* in_fixtures = fixtures.get("baud");
  if (in_station != nullptr && in_fixtures != nullptr) {
    problems.add(*in_fixtures, "'baud' is set in both [station] and [fixtures]: keep one (the [fixtures] one)");
    return;
  }
  const toml::node* node = in_fixtures != nullptr ? in_fixtures : in_station;
  if (node == nullptr) return;
  try {
    loader::BaudSetting setting;
    if (const auto number = node->value<std::int64_t>()) {
      setting = loader::parse_baud_setting(std::to_string(*number));
    } else if (const auto text = node->value<std::string>()) {
      setting = loader::parse_baud_setting(*text);
    } else {
      problems.add(*node, "'baud' must be a rate such as 921600 or \"auto\"");
      return;
    }
    out.baud = setting.automatic ? out.baud : setting.rate;
    out.auto_baud = setting.automatic;
  } catch (const Error& error) {
    problems.add(*node, fmt::format("'baud': {} ({})", error.message(), error.hint()));
  }
}

// [station] database (postgresql://… without a password) and where its password comes from.
void read_database(Reader& reader, const toml::table& station, const std::filesystem::path& path, Problems& problems,
                   StationProfile& out) {
  const auto database = reader.get<std::string>(station, "database", "a postgresql:// URL");
  if (!database) return;
  if (database->rfind("postgresql://", 0) != 0 && database->rfind("postgres://", 0) != 0) {
    problems.add(*station.get("database"),
                 "'database' must be a postgresql://user@host:port/db URL (leave it out for the station's own "
                 "SQLite file)");
    return;
  }
  // postgresql://[user[:password]@]host[:port]/db[?options]
  const auto start = database->find("://") + 3;
  const auto authority = database->substr(start, database->find_first_of("/?", start) - start);
  const auto at = authority.rfind('@');
  if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
    problems.add(*station.get("database"),
                 "'database' holds a password: it would show in logs and records; give it with "
                 "database_password_env or database_password_file instead");
    return;
  }
  out.database = *database;
  out.database_password_env = reader.get<std::string>(station, "database_password_env", "a variable name").value_or("");
  if (const auto file = reader.get<std::string>(station, "database_password_file", "a file path")) {
    out.database_password_file = relative_to(path, *file);
  }
  if (!out.database_password_env.empty() && !out.database_password_file.empty()) {
    problems.add(*station.get("database_password_file"),
                 "give database_password_env or database_password_file, not both");
  }
}

// [station] serial_lease: a block of serials held by the station, for the shared DB only.
void read_serial_lease(Reader& reader, const toml::table& station, Problems& problems, StationProfile& out) {
  const auto lease = reader.integer_in(station, "serial_lease", 0, 10000);
  if (!lease) return;
  if (*lease > 0 && !station.contains("database")) {
    problems.add(*station.get("serial_lease"),
                 "serial_lease needs the line's shared station DB: set database = \"postgresql://…\" or remove "
                 "serial_lease (a station's own SQLite file allocates each serial itself and needs no lease)");
    return;
  }
  out.serial_lease = static_cast<unsigned>(*lease);
}

void read_station(Reader& reader, const toml::table& station, const toml::table& fixtures,
                  const std::filesystem::path& path, Problems& problems, StationProfile& out) {
  out.station_id = reader.get<std::string>(station, "id", "a string").value_or(out.station_id);
  out.data_dir =
      relative_to(path, reader.get<std::string>(station, "data_dir", "a directory path").value_or("station-data"));
  read_baud(station, fixtures, problems, out);
  if (station.get("stub") != nullptr && station.get("stub")->value<std::string>() == "none") {
    out.stub_disabled = true;
  } else if (const auto stub = reader.existing_file(station, "stub")) {
    out.stub = *stub;
  }
  if (const auto retry = reader.integer_in(station, "outbox_retry_ms", 100, 3600000))
    out.outbox_retry_ms = static_cast<unsigned>(*retry);
  if (const auto wait = reader.integer_in(station, "outbox_wait_s", 0, 86400))
    out.outbox_wait_s = static_cast<unsigned>(*wait);
  if (const auto claim = reader.integer_in(station, "outbox_claim_s", 1, 86400))
    out.outbox_claim_s = static_cast<unsigned>(*claim);
  out.auto_resume = reader.get<bool>(station, "auto_resume", "true or false").value_or(true);
  read_database(reader, station, path, problems, out);
  read_serial_lease(reader, station, problems, out);
  out.ports = reader.strings(fixtures, "ports");
  // [fixtures] may hold only `baud`: the ports then come from --port.
  if (out.ports.empty() && fixtures.contains("ports")) problems.add("[fixtures] ports is empty");
}

// The ESP-IDF builds [images] names, read once: the profile's files come from them and their
// sdkconfig is compared with the profile once [security] is known (check_idf_builds).
struct IdfBuilds {
  std::optional<image::IdfBuild> production;
  std::optional<image::IdfBuild> factory_test;
};

std::optional<image::IdfBuild> read_build(Reader& reader, const toml::table& images, const char* key,
                                          Problems& problems, std::filesystem::path& dir_out) {
  const auto dir = reader.existing_dir(images, key);
  if (!dir) return std::nullopt;
  dir_out = *dir;
  try {
    return image::read_idf_build(*dir);
  } catch (const Error& error) {
    problems.add(*images.get(key), error.message());
    return std::nullopt;
  }
}

// [[images.data]]: { partition = "storage", file = "spiffs.bin" }.
void read_data_images(Reader& reader, const toml::table& images, Problems& problems, StationProfile& out) {
  const toml::node* list = images.get("data");
  if (list == nullptr) return;
  const toml::array* entries = list->as_array();
  if (entries == nullptr) {
    problems.add(*list, "write data images as [[images.data]] tables with 'partition' and 'file'");
    return;
  }
  for (const auto& item : *entries) {
    const toml::table* entry = item.as_table();
    const auto partition = entry ? reader.get<std::string>(*entry, "partition", "a partition name") : std::nullopt;
    const auto file = entry ? reader.existing_file(*entry, "file") : std::nullopt;
    if (!entry || !partition || entry->get("file") == nullptr) {
      problems.add(item, "each [[images.data]] needs 'partition' (a name in the partition table) and 'file'");
      continue;
    }
    if (file) out.images.data.push_back({.partition = *partition, .offset = std::nullopt, .file = *file});
  }
}

// The unsigned images and the layout; the signed ones come with [security]
// (read_security_and_signed_images).
IdfBuilds read_images(Reader& reader, const toml::table& images, Problems& problems, StationProfile& out) {
  auto& im = out.images;
  IdfBuilds builds;
  if (images.empty()) {
    problems.add("no [images] section (idf_build, or bootloader, partition_table, factory_test_app, production_app)");
  }
  builds.production = read_build(reader, images, "idf_build", problems, im.idf_build);
  builds.factory_test = read_build(reader, images, "factory_test_idf_build", problems, im.factory_test_idf_build);
  const auto table = reader.existing_file(images, "partition_table");
  const auto factory = reader.existing_file(images, "factory_test_app");
  im.partition_table = table.value_or("");
  im.factory_test_app = factory.value_or("");
  if (images.get("partition_table") == nullptr && builds.production && builds.production->partition_table) {
    im.partition_table = builds.production->partition_table->file;
  }
  if (images.get("factory_test_app") == nullptr && builds.factory_test && builds.factory_test->app) {
    im.factory_test_app = builds.factory_test->app->file;
  }
  if (!images.empty()) {
    if (images.get("partition_table") == nullptr && images.get("idf_build") == nullptr) {
      problems.add("[images] needs 'partition_table' (CSV or binary), or 'idf_build'");
    }
    if (images.get("factory_test_app") == nullptr && images.get("factory_test_idf_build") == nullptr) {
      problems.add("[images] needs 'factory_test_app', or 'factory_test_idf_build'");
    }
  }
  if (builds.production) {
    for (const auto& file : builds.production->data) {
      im.data.push_back({.partition = file.name, .offset = file.offset, .file = file.file});
    }
  }
  read_data_images(reader, images, problems, out);
  im.production_slot = reader.get<std::string>(images, "production_slot", "a partition name").value_or("");
  im.factory_test_slot = reader.get<std::string>(images, "factory_test_slot", "a partition name").value_or("");
  if (const auto size = reader.get<std::string>(images, "flash_size", "a flash size (\"8MB\")")) {
    if (chip::kEsp32s3.flash_size_bytes(*size)) {
      im.flash_size = *size;
    } else {
      problems.add(*images.get("flash_size"), fmt::format("'{}' is not a flash size: write 4MB, 8MB, 16MB ...", *size));
    }
  }
  if (const auto version = reader.integer_in(images, "secure_version", 0, 16)) {
    im.secure_version = static_cast<std::uint32_t>(*version);
  }
  return builds;
}

// The builds' sdkconfig against the profile: every contradiction, with its key.
void check_idf_builds(const IdfBuilds& builds, Problems& problems, const StationProfile& out) {
  const IdfBuildExpectations expected{.secure_boot = !out.security.secure_boot_digests.empty(),
                                      .flash_encryption = out.security.flash_encryption,
                                      .flash_encryption_release = out.security.flash_encryption_release,
                                      .flash_size = out.images.flash_size,
                                      .secure_version = out.images.secure_version};
  std::vector<IdfBuildProblem> found;
  if (builds.production) found = check_idf_build(*builds.production, expected, "[images] idf_build");
  if (builds.factory_test) {
    const auto more = check_idf_build(*builds.factory_test, expected, "[images] factory_test_idf_build", true);
    found.insert(found.end(), more.begin(), more.end());
  }
  for (const auto& problem : found) problems.add(fmt::format("{} ({})", problem.message, problem.hint));
}

void read_test(Reader& reader, const toml::table& test, Problems& problems, StationProfile& out) {
  if (const auto timeout = reader.integer_in(test, "request_timeout_ms", 100, 600000))
    out.test.request_timeout_ms = static_cast<unsigned>(*timeout);
  if (const auto timeout = reader.integer_in(test, "boot_timeout_ms", 100, 600000))
    out.test.boot_timeout_ms = static_cast<unsigned>(*timeout);
  const toml::node* list = test.get("measurement");
  if (list == nullptr) return;
  const toml::array* entries = list->as_array();
  if (entries == nullptr) {
    problems.add(*list, "write measurements as [[test.measurement]] tables");
    return;
  }
  for (const auto& item : *entries) {
    if (const toml::table* entry = item.as_table()) {
      read_measurement(*entry, reader, problems, out.test);
    } else {
      problems.add(item, "each [[test.measurement]] must be a table");
    }
  }
}

// "KEY5", "BLOCK_KEY5" or 5.
std::optional<unsigned> parse_key_block(const toml::node& node) {
  if (const auto number = node.value<std::int64_t>()) {
    if (*number >= 0 && *number <= 5) return static_cast<unsigned>(*number);
    return std::nullopt;
  }
  auto text = node.value<std::string>().value_or("");
  if (text.rfind("BLOCK_", 0) == 0) text = text.substr(6);
  if (text.size() == 4 && text.rfind("KEY", 0) == 0 && text[3] >= '0' && text[3] <= '5')
    return static_cast<unsigned>(text[3] - '0');
  return std::nullopt;
}

// container = "ds": an RSA key (rsa_bits 2048 or 3072, default 3072) sealed for the DS peripheral
// with an HMAC key in ds_key_block (default KEY5: XTS keys may not use it, so the planner's own
// choices for the flash-encryption key and the Secure Boot digests start at KEY0 and never reach it).
void read_ds_container(const toml::table& identity, Problems& problems, IdentitySpec& out) {
  out.container = IdentityContainer::Ds;
  const bool rsa_key_type = out.key_type == pki::KeyType::Rsa2048 || out.key_type == pki::KeyType::Rsa3072;
  auto rsa = identity.get("key_type") != nullptr && rsa_key_type ? out.key_type : pki::KeyType::Rsa3072;
  if (const auto* node = identity.get("rsa_bits")) {
    const auto value = node->value<std::int64_t>();
    if (value == 2048 || value == 3072) {
      rsa = value == 2048 ? pki::KeyType::Rsa2048 : pki::KeyType::Rsa3072;
    } else {
      problems.add(*node, "'rsa_bits' must be 2048 or 3072 (the DS key of container = \"ds\")");
    }
  }
  if (const auto* node = identity.get("key_type"); node != nullptr && out.key_type != rsa) {
    problems.add(*node, fmt::format("container = \"ds\" needs an RSA key ({}): remove 'key_type' and set rsa_bits "
                                    "= 2048 or 3072",
                                    pki::key_type_name(rsa)));
  }
  out.key_type = rsa;
  if (const auto* node = identity.get("ds_key_block")) {
    if (const auto block = parse_key_block(*node)) {
      out.ds_key_block = *block;
    } else {
      problems.add(*node, "'ds_key_block' must be KEY0..KEY5 (or 0..5); leave it out for KEY5");
    }
  }
}

void read_identity(Reader& reader, const toml::table& identity, Problems& problems, StationProfile& out) {
  if (const auto key_type = reader.get<std::string>(identity, "key_type", "a string")) {
    try {
      out.identity.key_type = pki::parse_key_type(*key_type);
    } catch (const Error& error) {
      problems.add(*identity.get("key_type"), error.message());
    }
  }
  const auto container = reader.get<std::string>(identity, "container", "a string").value_or("secure_cert");
  if (container == "ds") {
    read_ds_container(identity, problems, out.identity);
  } else if (container == "nvs") {
    problems.add(*identity.get("container"),
                 "identity container 'nvs' is not available yet; use \"secure_cert\" or \"ds\"");
  } else if (container != "secure_cert") {
    problems.add(*identity.get("container"),
                 fmt::format("unknown identity container '{}'; use \"secure_cert\" or \"ds\"", container));
  } else {
    for (const char* key : {"ds_key_block", "rsa_bits"}) {
      if (const auto* node = identity.get(key)) {
        problems.add(*node, fmt::format("'{}' is for container = \"ds\"; remove it or set the container", key));
      }
    }
  }
  auto& subject = out.identity.subject;
  subject.common_name = reader.get<std::string>(identity, "common_name", "a string").value_or(subject.common_name);
  subject.organization = reader.get<std::string>(identity, "organization", "a string").value_or("");
  subject.organizational_unit = reader.get<std::string>(identity, "organizational_unit", "a string").value_or("");
  subject.serial_number =
      reader.get<std::string>(identity, "serial_number", "a string").value_or(subject.serial_number);
  subject.dns_names = reader.strings(identity, "dns_names");
  if (const auto days = reader.integer_in(identity, "validity_days", 1, 36500))
    out.identity.issue.validity = std::chrono::days(*days);
}

void read_serial(Reader& reader, const toml::table& serial, Problems& problems, StationProfile& out) {
  out.serial.prefix = reader.get<std::string>(serial, "prefix", "a string").value_or(out.serial.prefix);
  if (const auto width = reader.integer_in(serial, "width", 1, 20)) out.serial.width = static_cast<unsigned>(*width);
  if (const auto first = reader.get<std::int64_t>(serial, "first", "an integer")) {
    if (*first < 0) {
      problems.add(*serial.get("first"), "'first' must be 0 or more");
    } else {
      out.serial.first = static_cast<std::uint64_t>(*first);
    }
  }
}

// [security] and the signed [images] come from the reader `espfab efuse plan --profile` uses; its
// problems join this profile's list.
void read_security_and_signed_images(const std::filesystem::path& path, const toml::table& images, Problems& problems,
                                     StationProfile& out) {
  try {
    auto security = security::load_security_profile(path);
    out.security = std::move(security.profile);
    out.security_opt_outs = std::move(security.opt_outs);
    if (security.bootloader) out.images.bootloader = *security.bootloader;
    if (security.app) out.images.production_app = *security.app;
  } catch (const BadInputError& error) {
    std::istringstream lines(error.message());
    std::string line;
    std::getline(lines, line);  // "N problem(s) in the station profile:"
    while (std::getline(lines, line)) problems.add_raw(line.substr(line.find_first_not_of(' ')));
  }
  if (images.empty()) return;
  if (out.images.bootloader.empty() && images.get("bootloader") == nullptr) problems.add("[images] needs 'bootloader'");
  if (out.images.production_app.empty() && images.get("production_app") == nullptr) {
    problems.add("[images] needs 'production_app'");
  }
}

}  // namespace

std::string format_serial(const SerialScheme& scheme, std::uint64_t number) {
  return fmt::format("{}{:0{}}", scheme.prefix, number, scheme.width);
}

// Every problem of every section is collected first and thrown as one BadInputError.
StationProfile load_station_profile(const std::filesystem::path& path, ProfileUse use) {
  const bool records = use == ProfileUse::Records;
  StationProfile out;
  out.file = path;
  const std::string text = read_text_file(path);
  const auto digest = crypto::sha256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  out.sha256 = to_hex(ByteView(digest.data(), digest.size()));
  Problems problems(path);
  const toml::table root = parse_profile_toml(text, path);
  check_known_keys(root, problems);
  Reader reader(path, problems, !records);
  const toml::table empty;
  auto section = [&](const char* name) -> const toml::table& {
    const toml::table* t = root[name].as_table();
    return t ? *t : empty;
  };
  read_station(reader, section("station"), section("fixtures"), path, problems, out);
  const IdfBuilds builds = records ? IdfBuilds{} : read_images(reader, section("images"), problems, out);
  read_test(reader, section("test"), problems, out);
  read_identity(reader, section("identity"), problems, out);
  read_ca(reader, section("ca"), path, problems, out);
  read_serial(reader, section("serial"), problems, out);
  read_registration(reader, section("registration"), path, problems, out);
  read_label(reader, section("label"), path, problems, out);
  if (!records) {
    read_security_and_signed_images(path, section("images"), problems, out);
    check_idf_builds(builds, problems, out);
  }
  if (out.identity.container == IdentityContainer::Ds) out.security.ds_hmac_key_block = out.identity.ds_key_block;
  problems.throw_if_any();
  return out;
}

}  // namespace espfab::station
