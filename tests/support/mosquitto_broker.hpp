// A real Mosquitto 2 broker for tests (cookbook §1): a TLS listener on 127.0.0.1 that requires a
// client certificate, use_identity_as_username, the Dynamic Security plugin with default deny.
// Its own test PKI (openssl CLI, EC P-256): a test CA, the server certificate (IP:127.0.0.1) and an
// admin client certificate (CN=admin, the dynsec admin). Client certificates from other CAs (the
// station's) are accepted when their CA files are passed. stop()/start() keep the port and state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/subprocess.hpp"

namespace espfab::test {

class MosquittoBroker {
 public:
  MosquittoBroker(std::filesystem::path dir, std::vector<std::filesystem::path> client_cas = {});
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  void stop();
  void start();  // on the same port, with the dynsec state it had
  bool running() const { return broker_.has_value(); }

  int port() const { return port_; }
  std::string url() const { return "mqtts://127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path ca_file() const { return dir_ / "test-ca.crt"; }  // verifies the server
  std::filesystem::path admin_cert() const { return dir_ / "admin.crt"; }
  std::filesystem::path admin_key() const { return dir_ / "admin.key"; }
  std::string log() const;

  // A client certificate from the test CA (for tests that need a device the station did not make).
  void issue_client(const std::string& common_name, const std::filesystem::path& cert,
                    const std::filesystem::path& key) const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::optional<Subprocess> broker_;
};

// Publishes one QoS 1 MQTT v5 message with a client certificate and returns the PUBACK reason
// code (0 or 16: allowed; 135: not authorized), or -1 when the connection failed.
int publish_reason(const MosquittoBroker& broker, const std::filesystem::path& cert, const std::filesystem::path& key,
                   const std::string& topic, const std::string& payload = "hello");

}  // namespace espfab::test
