#include "service/demo_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

extern char** environ;

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

pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> all = args;
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, all[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw IoError("service.broker_start", fmt::format("cannot start {}", args[0]));
  return pid;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw IoError("service.broker_port", "no free loopback port for the demo broker");
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return open;
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
  const pid_t init =
      spawn({install.ctrl.string(), "dynsec", "init", (dir_ / "dynsec.json").string(), "admin", password}, log);
  secure_wipe(password.data(), password.size());
  int status = 0;
  ::waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
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
  pid_ = spawn({install.broker.string(), "-c", d("mosquitto.conf")}, log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts_connections(port_)) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_ || std::chrono::steady_clock::now() > deadline) {
      if (pid_ > 0) ::kill(pid_, SIGTERM);
      pid_ = -1;
      throw IoError("service.broker_start", "the demo's mosquitto did not start", fmt::format("see {}", log.string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

DemoBroker::~DemoBroker() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
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
