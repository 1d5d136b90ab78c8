#include "support/mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/loopback.hpp"
#include "support/run_command.hpp"
#include "util/deadline.hpp"

namespace espfab::test {
namespace {

void must(const std::filesystem::path& program, const std::vector<std::string>& args) {
  const auto result = run_command(program, args);
  if (result.exit_code != 0) {
    std::string line = program.string();
    for (const auto& a : args) line += " " + a;
    throw std::runtime_error(line + " failed: " + result.err + result.out);
  }
}

void openssl(const std::vector<std::string>& args) { must("/usr/bin/openssl", args); }

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
}

}  // namespace

MosquittoBroker::MosquittoBroker(std::filesystem::path dir, std::vector<std::filesystem::path> client_cas)
    : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  const auto d = [&](const char* name) { return (dir_ / name).string(); };
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           d("test-ca.key"), "-out", d("test-ca.crt"), "-days", "2", "-subj", "/CN=espfab test broker CA"});
  const auto issue = [&](const std::string& name, const std::string& subject, const std::string& ext) {
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", d("") + name + ".key",
             "-out", d("") + name + ".csr", "-subj", subject});
    write_text(dir_ / (name + ".ext"), ext);
    openssl({"x509", "-req", "-in", d("") + name + ".csr", "-CA", d("test-ca.crt"), "-CAkey", d("test-ca.key"),
             "-CAcreateserial", "-out", d("") + name + ".crt", "-days", "2", "-extfile", d("") + name + ".ext"});
  };
  issue("server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  issue("admin", "/CN=admin", "extendedKeyUsage=clientAuth\n");
  // Client certificates: the test CA and every CA the caller names.
  {
    std::ostringstream all;
    all << std::ifstream(ca_file()).rdbuf();
    for (const auto& ca : client_cas) all << std::ifstream(ca).rdbuf();
    write_text(dir_ / "client-cas.crt", all.str());
  }
  // The dynsec admin is a client whose username is "admin": the admin certificate's CN.
  must("/usr/bin/mosquitto_ctrl", {"dynsec", "init", d("dynsec.json"), "admin", "unused-password"});
  port_ = free_loopback_port();
  std::ostringstream conf;
  conf << "per_listener_settings false\nallow_anonymous false\npersistence false\n"
       << (::geteuid() == 0 ? "user root\n" : "") << "log_dest file " << d("mosquitto.log") << "\nlog_type all\n"
       << "plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so\n"
       << "plugin_opt_config_file " << d("dynsec.json") << "\n"
       << "listener " << port_ << " 127.0.0.1\n"
       << "cafile " << d("client-cas.crt") << "\ncertfile " << d("server.crt") << "\nkeyfile " << d("server.key")
       << "\nrequire_certificate true\nuse_identity_as_username true\n";
  write_text(dir_ / "mosquitto.conf", conf.str());
  start();
}

MosquittoBroker::~MosquittoBroker() { stop(); }

void MosquittoBroker::start() {
  if (broker_) return;
  SpawnOptions options;
  options.argv = {"/usr/sbin/mosquitto", "-c", (dir_ / "mosquitto.conf").string()};
  options.out = Redirect::null();  // its log goes to mosquitto.log; keep test output clean
  options.err = Redirect::null();
  broker_.emplace(std::move(options));
  const Deadline deadline(std::chrono::seconds(10));
  while (!loopback_port_open(port_)) {
    // Up to 20 ms for it to exit: the pace of the connection attempts.
    if (broker_->wait(Deadline(std::chrono::milliseconds(20)))) {
      broker_.reset();
      throw std::runtime_error("mosquitto exited at start: " + log());
    }
    if (deadline.expired()) throw std::runtime_error("mosquitto did not listen: " + log());
  }
}

void MosquittoBroker::stop() { broker_.reset(); }

std::string MosquittoBroker::log() const {
  std::ostringstream text;
  text << std::ifstream(dir_ / "mosquitto.log").rdbuf();
  return text.str();
}

void MosquittoBroker::issue_client(const std::string& common_name, const std::filesystem::path& cert,
                                   const std::filesystem::path& key) const {
  const auto csr = cert.string() + ".csr";
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.string(), "-out",
           csr, "-subj", "/CN=" + common_name});
  openssl({"x509", "-req", "-in", csr, "-CA", ca_file().string(), "-CAkey", (dir_ / "test-ca.key").string(),
           "-CAcreateserial", "-out", cert.string(), "-days", "2"});
}

namespace {

struct PublishState {
  std::optional<int> connected;
  std::optional<int> puback;
  bool gone = false;
};

}  // namespace

int publish_reason(const MosquittoBroker& broker, const std::filesystem::path& cert, const std::filesystem::path& key,
                   const std::string& topic, const std::string& payload) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  PublishState state;
  mosquitto* client = mosquitto_new(nullptr, true, &state);
  mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(client, [](mosquitto*, void* s, int rc, int, const mosquitto_property*) {
    static_cast<PublishState*>(s)->connected = rc;
  });
  mosquitto_publish_v5_callback_set(client, [](mosquitto*, void* s, int, int reason, const mosquitto_property*) {
    static_cast<PublishState*>(s)->puback = reason;
  });
  mosquitto_disconnect_v5_callback_set(
      client, [](mosquitto*, void* s, int, const mosquitto_property*) { static_cast<PublishState*>(s)->gone = true; });
  int result = -1;
  const auto ca = broker.ca_file().string();
  if (mosquitto_tls_set(client, ca.c_str(), nullptr, cert.c_str(), key.c_str(), nullptr) == MOSQ_ERR_SUCCESS &&
      mosquitto_connect(client, "127.0.0.1", broker.port(), 10) == MOSQ_ERR_SUCCESS) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool sent = false;
    while (std::chrono::steady_clock::now() < deadline && !state.gone && !state.puback) {
      if (mosquitto_loop(client, 50, 1) != MOSQ_ERR_SUCCESS) break;
      if (state.connected && *state.connected != 0) break;
      if (state.connected && !sent) {
        mosquitto_publish_v5(client, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false,
                             nullptr);
        sent = true;
      }
    }
    if (state.puback) result = *state.puback;
    mosquitto_disconnect(client);
  }
  mosquitto_destroy(client);
  return result;
}

}  // namespace espfab::test
