// The production app's device hello, end to end: espfab-emu (the built binary) boots a plaintext
// device whose esp_secure_cert partition holds a certificate from the broker's client CA; with
// --broker/--broker-ca its app connects over MQTT v5 + TLS with that certificate and key, publishes
// one QoS 1 message to devices/<CN>/hello and prints one console line, read here from the device's
// socket:// port as raw bytes after "reset boot N" on the control channel.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "emulator/virtual_flash.hpp"
#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/secure_cert_tlv.hpp"
#include "registry/dynsec_registrar.hpp"
#include "support/emulator_process.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/run_command.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"
#include "util/unique_fd.hpp"

namespace espfab::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSerial = "ESP-HELLO-01";
constexpr std::uint32_t kFlashSize = 8 * 1024 * 1024;
constexpr const char* kHelloPrefix = "espfab_hello: ";

Bytes partition_table() {
  const std::string csv =
      "esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted\n"
      "nvs, data, nvs, 0x10000, 0x6000,\n"
      "factory, app, factory, 0x20000, 0x100000,\n";
  return image::write_partition_binary(image::parse_partition_csv(csv));
}

Bytes production_app(const std::string& version) {
  image::AppDescriptor desc;
  desc.version = version;
  desc.project_name = "widget";
  desc.time = "12:00:00";
  desc.date = "Nov 24 2026";
  desc.idf_version = "v5.5.5";
  std::vector<image::SegmentInput> segments;
  segments.push_back({0x3C000020, image::serialize_app_descriptor(desc), ".flash.appdesc", 0});
  segments.push_back({0x42000020, Bytes(0x400, 0x11), ".flash.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x42000020;
  options.flash_mode = 2;
  options.flash_size_freq = 0x2F;
  return image::build_image(std::move(segments), options);
}

// A plaintext device (no flash encryption, no secure boot) with the production app and an
// esp_secure_cert partition holding `cert` and `key`: devN/flash.bin under `state_dir`.
void write_device(const std::filesystem::path& state_dir, unsigned index, const std::filesystem::path& cert,
                  const std::filesystem::path& key) {
  const std::string cert_pem = read_text_file(cert);
  SecretBytes key_pem(read_file(key));
  image::SecureCertContents contents;
  contents.device_cert = ByteView(reinterpret_cast<const std::uint8_t*>(cert_pem.data()), cert_pem.size());
  contents.private_key = &key_pem;
  const SecretBytes secure_cert = image::build_secure_cert_partition(contents);
  const auto dir = state_dir / ("dev" + std::to_string(index));
  std::filesystem::create_directories(dir);
  emulator::VirtualFlash flash(dir / "flash.bin", kFlashSize);
  const auto put = [&](std::uint32_t offset, ByteView data) {
    flash.erase(offset, static_cast<std::uint32_t>(data.size()));
    flash.program(offset, data);
  };
  put(0x0, read_vector("app_image/boot.bin"));
  put(0x8000, partition_table());
  put(0xD000, secure_cert.view());
  put(0x20000, production_app("3.1.4"));
  flash.sync();
}

struct Console {
  std::string text;       // everything the device printed
  std::string hello;      // the espfab_hello line without CRLF, or empty
  Clock::duration after;  // from the reset until the hello line (or the read gave up)
};

// Resets device `index` into a normal boot and reads its console until the hello line (or
// `timeout`).
Console boot_and_read(const EmulatorProcess& emulator, unsigned index, std::chrono::milliseconds timeout) {
  TcpLine device(emulator.urls().at(index));
  TcpLine control(emulator.control());
  const auto start = Clock::now();
  control.send("reset boot " + std::to_string(index) + "\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  Console console;
  console.text = device.read_until(kHelloPrefix, timeout);
  auto at = console.text.find(kHelloPrefix);
  if (at != std::string::npos && console.text.find("\r\n", at) == std::string::npos) {
    console.text += device.read_until("\r\n", 1s);
  }
  console.after = Clock::now() - start;
  at = console.text.find(kHelloPrefix);
  if (at != std::string::npos) console.hello = console.text.substr(at, console.text.find("\r\n", at) - at);
  return console;
}

std::vector<std::string> hello_args(const MosquittoBroker& broker) {
  return {"--broker", broker.url(), "--broker-ca", broker.ca_file().string()};
}

class DeviceHelloTest : public ::testing::Test {
 protected:
  TempDir dir;
  MosquittoBroker broker{dir / "broker"};

  void SetUp() override {
    broker.issue_client(kSerial, dir / "device.crt", dir / "device.key");
    write_device(dir / "devices", 0, dir / "device.crt", dir / "device.key");
  }

  EmulatorOptions options(std::vector<std::string> extra) const {
    EmulatorOptions o;
    o.state_dir = dir / "devices";
    o.extra_args = std::move(extra);
    return o;
  }

  registry::BrokerSettings admin() const {
    registry::BrokerSettings settings;
    settings.url = broker.url();
    settings.ca_file = broker.ca_file();
    settings.cert_file = broker.admin_cert();
    settings.key_file = broker.admin_key();
    settings.timeout = 3000ms;
    return settings;
  }
};

TEST_F(DeviceHelloTest, UnregisteredDeviceIsConnectedButNotAuthorized) {
  EmulatorProcess emulator(options(hello_args(broker)));
  const auto console = boot_and_read(emulator, 0, 8s);
  EXPECT_NE(console.text.find("espfab_identity: serial=ESP-HELLO-01 "), std::string::npos) << console.text;
  EXPECT_EQ(console.hello, "espfab_hello: devices/ESP-HELLO-01/hello puback=135 (Not authorized)")
      << console.text << broker.log();
  // After app_main returned: the hello runs beside the app, its line comes last.
  EXPECT_LT(console.text.find("Returned from app_main()"), console.text.find(kHelloPrefix));
  EXPECT_NE(broker.log().find("Denied PUBLISH from ESP-HELLO-01"), std::string::npos) << broker.log();
}

TEST_F(DeviceHelloTest, RegisteredDevicePublishesItsHello) {
  registry::DynsecRegistrar registrar(admin());
  registrar.register_device({kSerial, "7c:df:a1:00:00:00", read_text_file(dir / "device.crt")});
  // The dynsec admin may subscribe to everything: it receives the device's message.
  CommandResult subscriber;
  std::thread subscribe([&] {
    subscriber = run_command("/usr/bin/mosquitto_sub", {"-h",       "127.0.0.1",
                                                        "-p",       std::to_string(broker.port()),
                                                        "-V",       "mqttv5",
                                                        "--cafile", broker.ca_file().string(),
                                                        "--cert",   broker.admin_cert().string(),
                                                        "--key",    broker.admin_key().string(),
                                                        "-i",       "hello-watcher",
                                                        "-t",       "devices/ESP-HELLO-01/hello",
                                                        "-q",       "1",
                                                        "-C",       "1",
                                                        "-W",       "15"});
  });
  const auto deadline = Clock::now() + 5s;
  while (broker.log().find("Received SUBSCRIBE from hello-watcher") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EmulatorProcess emulator(options(hello_args(broker)));
  const auto console = boot_and_read(emulator, 0, 8s);
  subscribe.join();
  EXPECT_EQ(console.hello, "espfab_hello: devices/ESP-HELLO-01/hello puback=0 (Success)")
      << console.text << broker.log();
  ASSERT_EQ(subscriber.exit_code, 0) << subscriber.err;
  const auto payload = nlohmann::json::parse(subscriber.out);
  EXPECT_EQ(payload, (nlohmann::json{{"serial", kSerial}, {"mac", "7c:df:a1:00:00:00"}, {"app", "3.1.4"}}))
      << subscriber.out;
  // Every normal boot says hello again; without a subscriber the broker answers 16.
  const auto again = boot_and_read(emulator, 0, 8s);
  EXPECT_EQ(again.hello, "espfab_hello: devices/ESP-HELLO-01/hello puback=16 (No matching subscribers)") << again.text;
}

TEST_F(DeviceHelloTest, BrokerDownIsReportedWithinTheTimeout) {
  broker.stop();
  EmulatorProcess emulator(options(hello_args(broker)));
  const auto console = boot_and_read(emulator, 0, 8s);
  EXPECT_EQ(console.hello, "espfab_hello: failed: connect: Connection refused") << console.text;
  EXPECT_LT(console.after, 6s);
}

TEST_F(DeviceHelloTest, BrokerCertificateFromAnotherCaIsRefused) {
  const auto other = dir / "other-ca.crt";
  ASSERT_EQ(run_command("/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                             "-nodes", "-keyout", (dir / "other-ca.key").string(), "-out",
                                             other.string(), "-days", "2", "-subj", "/CN=some other CA"})
                .exit_code,
            0);
  EmulatorProcess emulator(options({"--broker", broker.url(), "--broker-ca", other.string()}));
  const auto console = boot_and_read(emulator, 0, 8s);
  EXPECT_EQ(console.hello, "espfab_hello: failed: tls: certificate verify failed") << console.text;
  EXPECT_EQ(broker.log().find("Denied PUBLISH"), std::string::npos);
}

TEST_F(DeviceHelloTest, WithoutBrokerTheAppStaysOffline) {
  EmulatorProcess emulator(options({}));
  const auto console = boot_and_read(emulator, 0, 2s);
  EXPECT_NE(console.text.find("Returned from app_main()"), std::string::npos) << console.text;
  EXPECT_EQ(console.text.find("espfab_hello"), std::string::npos) << console.text;
  EXPECT_EQ(broker.log().find("ESP-HELLO-01"), std::string::npos);
}

// A "broker" that accepts TCP connections (the kernel completes them) but never answers TLS.
class SilentBroker {
 public:
  SilentBroker() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_.get(), 16) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length);
    url_ = "mqtts://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  }
  SilentBroker(const SilentBroker&) = delete;
  SilentBroker& operator=(const SilentBroker&) = delete;
  const std::string& url() const { return url_; }

  // Waits until `count` clients in all have connected (each then waits for ever for an answer to
  // its ClientHello): the event "a hello is in flight", instead of a guessed sleep.
  bool wait_for_connections(std::size_t count, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (accepted_.size() < count) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd ready{fd_.get(), POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left)) != 1) continue;
      const int client = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) accepted_.emplace_back(client);
    }
    return true;
  }

 private:
  UniqueFd fd_{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  std::string url_;
  std::vector<UniqueFd> accepted_;
};

TEST_F(DeviceHelloTest, BrokerHostNameIsVerifiedToo) {
  const std::string url = "mqtts://localhost:" + std::to_string(broker.port());
  EmulatorProcess emulator(options({"--broker", url, "--broker-ca", broker.ca_file().string()}));
  const auto console = boot_and_read(emulator, 0, 8s);
  EXPECT_EQ(console.hello, "espfab_hello: devices/ESP-HELLO-01/hello puback=135 (Not authorized)") << console.text;
}

// A reset ends the app: the pending hello is dropped (its line never printed) and the new boot
// says hello on its own; espfab-emu still stops at once with a hello in flight.
TEST_F(DeviceHelloTest, ResetDropsThePendingHello) {
  SilentBroker silent;
  std::optional<EmulatorProcess> emulator;
  emulator.emplace(options({"--broker", silent.url(), "--broker-ca", broker.ca_file().string()}));
  TcpLine device(emulator->urls().at(0));
  TcpLine control(emulator->control());
  control.send("reset boot 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  EXPECT_NE(device.read_until("Returned from app_main()").find("espfab_identity"), std::string::npos);
  ASSERT_TRUE(silent.wait_for_connections(1, 5s)) << "the first boot's hello never connected";
  std::this_thread::sleep_for(2s);  // the scenario: 2 of that hello's 5 s pass before the reset
  const auto second = Clock::now();
  control.send("reset boot 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  std::string console = device.read_until(kHelloPrefix, 8s);
  const auto after = Clock::now() - second;
  EXPECT_NE(console.find("rst:0x3 (RTC_SW_SYS_RST)"), std::string::npos) << console;
  EXPECT_NE(console.find(kHelloPrefix), std::string::npos) << console;
  EXPECT_GT(after, 4900ms) << "the first boot's hello must not print";
  console += device.read_until(kHelloPrefix, 1s);
  const auto first = console.find(kHelloPrefix);
  EXPECT_EQ(console.find(kHelloPrefix, first + 1), std::string::npos) << console;

  control.send("reset boot 0\n");  // a hello in flight while espfab-emu stops
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  ASSERT_TRUE(silent.wait_for_connections(3, 5s)) << "the third boot's hello never connected";
  const auto stopping = Clock::now();
  emulator.reset();
  EXPECT_LT(Clock::now() - stopping, 3s) << "stopping waited for the hello (5 s timeout)";
}

// The hello times out after 5 s, and meanwhile the other device boots at once (one event loop
// for all devices; the hello runs on a worker thread).
TEST_F(DeviceHelloTest, SilentBrokerTimesOutWithoutBlockingOtherDevices) {
  SilentBroker silent;
  write_device(dir / "devices", 1, dir / "device.crt", dir / "device.key");
  auto o = options({"--broker", silent.url(), "--broker-ca", broker.ca_file().string()});
  o.devices = 2;
  EmulatorProcess emulator(o);

  Console first;
  std::thread boot0([&] { first = boot_and_read(emulator, 0, 8s); });
  ASSERT_TRUE(silent.wait_for_connections(1, 5s)) << "device 0's hello never connected";
  TcpLine device1(emulator.urls().at(1));
  TcpLine control(emulator.control());
  const auto start = Clock::now();
  control.send("reset boot 1\n");
  EXPECT_NE(control.read_until("\n", 1s).find("ok"), std::string::npos);
  const std::string console1 = device1.read_until("Returned from app_main()", 2s);
  EXPECT_NE(console1.find("Returned from app_main()"), std::string::npos) << console1;
  EXPECT_LT(Clock::now() - start, 3s) << "device 1 waited behind device 0's hello (5 s)";
  boot0.join();
  EXPECT_EQ(first.hello, "espfab_hello: failed: timeout after 5000 ms waiting for CONNACK") << first.text;
  EXPECT_GT(first.after, 4900ms);
  EXPECT_LT(first.after, 7500ms);
}

}  // namespace
}  // namespace espfab::test
