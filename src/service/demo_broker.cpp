#include "service/demo_broker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/subprocess.hpp"
#include "util/unique_fd.hpp"

namespace espfab::service {
namespace {

// Where Debian (and other distributions) install them.
const char* const kBrokerPaths[] = {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"};
const char* const kCtrlPaths[] = {"/usr/bin/mosquitto_ctrl", "/usr/local/bin/mosquitto_ctrl"};
const char* const kPluginPaths[] = {"/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
                                    "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
                                    "/usr/lib/mosquitto_dynamic_security.so",
                                    "/usr/local/lib/mosquitto_dynamic_security.so"};

template <std::size_t N>
std::optional<std::filesystem::path> first_existing(const char* const (&paths)[N]) {
  for (const char* path : paths)
    if (std::filesystem::exists(path)) return std::filesystem::path(path);
  return std::nullopt;
}

// stdout and stderr appended to `log`; in the terminal's process group, as the demo itself, so
// that Ctrl-C stops it with us.
Subprocess spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  SpawnOptions options;
  options.argv = args;
  options.out = Redirect::file(log);
  options.err = Redirect::to_stdout();
  options.own_process_group = false;
  try {
    return Subprocess(std::move(options));
  } catch (const IoError& e) {
    throw IoError("service.broker_start", e.message(), fmt::format("see {}", log.string()));
  }
}

int free_loopback_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (!ok) throw IoError("service.broker_port", "no free loopback port for the demo broker");
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

// A key and certificate from the demo CA, the key 0600.
void issue(pki::LocalCa& ca, const std::string& common_name, bool server, const std::filesystem::path& cert,
           const std::filesystem::path& key_file) {
  const auto key = pki::generate_key(pki::KeyType::EcP256);
  pki::SubjectTemplate subject;
  subject.common_name = common_name;
  subject.serial_number.clear();
  if (server) subject.dns_names = {"localhost"};
  const auto csr = pki::make_csr(key.get(), subject, {common_name, ""});
  pki::IssueProfile profile;
  profile.server_auth = server;
  profile.client_auth = !server;
  profile.validity = std::chrono::days(30);
  write_text_file_atomic(cert, ca.sign(csr.get(), profile).certificate_pem);
  const SecretBytes pem = crypto::private_key_pem(key.get());
  write_file_atomic(key_file, pem.view(), 0600);
}

std::string random_password() {
  const SecretBytes bytes = crypto::random_secret(16);
  return to_hex(bytes.view());
}

}  // namespace

std::optional<MosquittoInstall> find_mosquitto() {
  const auto broker = first_existing(kBrokerPaths);
  const auto ctrl = first_existing(kCtrlPaths);
  const auto plugin = first_existing(kPluginPaths);
  if (!broker || !ctrl || !plugin) return std::nullopt;
  return MosquittoInstall{*broker, *ctrl, *plugin};
}

DemoBroker::DemoBroker(const MosquittoInstall& install, const std::filesystem::path& dir, pki::LocalCa& ca)
    : dir_(dir) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  issue(ca, "localhost", true, dir_ / "server.crt", dir_ / "server.key");
  issue(ca, "admin", false, dir_ / "admin.crt", dir_ / "admin.key");
  write_text_file_atomic(dir_ / "ca.crt", ca.ca_certificate_pem());
  const auto log = dir_ / "mosquitto.log";
  // The dynsec admin is the client named "admin": the admin certificate's CN. Its password is
  // never used (the station logs in with the certificate) and is not kept.
  std::string password = random_password();
  Subprocess init =
      spawn({install.ctrl.string(), "dynsec", "init", (dir_ / "dynsec.json").string(), "admin", password}, log);
  secure_wipe(password.data(), password.size());
  if (init.wait(Deadline::never()) != 0) {
    throw IoError("service.broker_init", "mosquitto_ctrl dynsec init failed", fmt::format("see {}", log.string()));
  }
  port_ = free_loopback_port();
  const auto d = [&](const char* name) { return (dir_ / name).string(); };
  write_text_file_atomic(
      dir_ / "mosquitto.conf",
      fmt::format("# espfab demo broker: devices and the station by client certificate (demo CA)\n"
                  "per_listener_settings false\nallow_anonymous false\npersistence false\n{}"
                  "log_dest file {}\nlog_type error\nlog_type warning\nlog_type notice\n"
                  "plugin {}\nplugin_opt_config_file {}\n"
                  "listener {} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n"
                  "require_certificate true\nuse_identity_as_username true\n",
                  ::geteuid() == 0 ? "user root\n" : "", log.string(), install.dynsec_plugin.string(), d("dynsec.json"),
                  port_, d("ca.crt"), d("server.crt"), d("server.key")));
  broker_.emplace(spawn({install.broker.string(), "-c", d("mosquitto.conf")}, log));
  const Deadline deadline(std::chrono::seconds(10));
  while (!accepts_connections(port_)) {
    // Up to 20 ms for it to exit: the pace of the connection attempts, and the end of the wait
    // when it gave up.
    if (broker_->wait(Deadline(std::chrono::milliseconds(20))) || deadline.expired()) {
      broker_.reset();
      throw IoError("service.broker_start", "the demo's mosquitto did not start", fmt::format("see {}", log.string()));
    }
  }
}

std::string DemoBroker::url() const { return fmt::format("mqtts://localhost:{}", port_); }

std::string DemoBroker::registration_section() const {
  return fmt::format(
      "\n# The demo's local Mosquitto (started by `espfab demo`): devices go on its allowed list.\n"
      "[registration]\nbroker = \"{}\"\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n"
      "timeout_ms = 3000\nattempts = 2\ndevice_hello = true\n",
      url(), (dir_ / "ca.crt").string(), (dir_ / "admin.crt").string(), (dir_ / "admin.key").string());
}

}  // namespace espfab::service
