// The demo's local MQTT broker: Mosquitto 2 on a free 127.0.0.1 port with a TLS listener that
// requires a client certificate, use_identity_as_username, Dynamic Security with default deny
// (cookbook §1). Its server and admin certificates come from the demo CA, which also signs the
// devices, so a registered device's certificate logs in as its serial. Stopped when destroyed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "pki/local_ca.hpp"
#include "util/subprocess.hpp"

namespace espfab::service {

// The mosquitto program and its dynamic-security plugin, when installed.
struct MosquittoInstall {
  std::filesystem::path broker;
  std::filesystem::path ctrl;
  std::filesystem::path dynsec_plugin;
};
std::optional<MosquittoInstall> find_mosquitto();

class DemoBroker {
 public:
  // Makes the certificates and dynsec state in `dir` (emptied first) and starts the broker.
  // Throws IoError when it cannot start (its log file is named).
  DemoBroker(const MosquittoInstall& install, const std::filesystem::path& dir, pki::LocalCa& ca);
  // Stops the broker (SIGTERM, SIGKILL if it lingers) and waits for it.
  ~DemoBroker() = default;
  DemoBroker(const DemoBroker&) = delete;
  DemoBroker& operator=(const DemoBroker&) = delete;
  DemoBroker(DemoBroker&&) = delete;
  DemoBroker& operator=(DemoBroker&&) = delete;

  std::string url() const;
  std::filesystem::path ca_file() const {
    return dir_ / "ca.crt";
  }  // mqtts://localhost:PORT (the server certificate names localhost)
  // The station profile's [registration] section for this broker.
  std::string registration_section() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::optional<Subprocess> broker_;
};

}  // namespace espfab::service
