// The RFC 2217 client against an independent server: ser2net (Debian package) bridging the
// emulator's pty to TCP with RFC 2217 on. Skipped when ser2net is not installed.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "emulator/device_server.hpp"
#include "flash/reader.hpp"
#include "flash/writer.hpp"
#include "loader/device_info.hpp"
#include "loader/session.hpp"
#include "support/esptool_js_stub.hpp"
#include "support/temp_dir.hpp"
#include "transport/rfc2217_transport.hpp"
#include "util/error.hpp"
#include "util/subprocess.hpp"
#include "util/unique_fd.hpp"

namespace espfab::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSer2net = "/usr/sbin/ser2net";

std::uint16_t free_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

class Ser2netBridge {
 public:
  Ser2netBridge(const std::string& pty, const std::filesystem::path& dir) : port_(free_port()) {
    const auto config = dir / "ser2net.yaml";
    std::ofstream(config) << "%YAML 1.1\n---\nconnection: &espfab\n"
                          << "    accepter: telnet(rfc2217),tcp,127.0.0.1," << port_ << "\n"
                          << "    connector: serialdev," << pty << ",115200n81,local\n"
                          << "    options:\n      kickolduser: true\n      chardelay: false\n";
    SpawnOptions options;
    options.argv = {kSer2net, "-n", "-d", "-c", config.string()};
    options.out = Redirect::file(dir / "ser2net.log", false);
    options.err = Redirect::to_stdout();
    try {
      ser2net_.emplace(std::move(options));
    } catch (const Error&) {
      // started() says so
    }
  }
  bool started() const { return ser2net_.has_value(); }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::optional<Subprocess> ser2net_;  // stopped and reaped with the bridge
};

std::unique_ptr<transport::Rfc2217Transport> connect_when_listening(std::uint16_t port) {
  for (int i = 0;; ++i) {
    try {
      return transport::Rfc2217Transport::connect("127.0.0.1", port, {});
    } catch (const IoError&) {
      if (i >= 50) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
}

TEST(Ser2net, LoaderAndFlasherThroughAnIndependentRfc2217Server) {
  if (!std::filesystem::exists(kSer2net)) GTEST_SKIP() << "ser2net is not installed (scripts/setup installs it)";
  std::vector<std::unique_ptr<emulator::VirtualDevice>> devices;
  devices.push_back(std::make_unique<emulator::VirtualDevice>(emulator::DeviceConfig{}));
  emulator::DeviceServer server(std::move(devices), emulator::ServeProtocol::Pty, 0);
  std::atomic<bool> stop{false};
  std::thread serving([&] { server.run(stop, 20ms); });
  TempDir dir;
  {
    Ser2netBridge bridge(server.url(0), dir.path());
    ASSERT_TRUE(bridge.started());
    auto link = connect_when_listening(bridge.port());
    loader::SessionOptions options;
    options.connect.before = loader::BeforeReset::NoReset;  // a pty has no reset lines
    options.baud = 921600;
    loader::Session rom(*link, options);
    EXPECT_EQ(link->confirmed_baud(), 921600u);  // ser2net answered SET-BAUDRATE
    EXPECT_EQ(loader::format_mac(loader::read_mac(rom.client(), rom.description())), "7c:df:a1:00:00:00");

    std::mt19937 rng(11);
    Bytes app(64 * 1024);
    for (auto& byte : app) byte = static_cast<std::uint8_t>(rng() % 7);
    for (std::size_t i = 0; i < app.size(); i += 97) app[i] = 0xFF;  // Telnet IAC: must be doubled on the wire
    const auto plan = flash::plan_writes({flash::FlashRegion{0x10000, std::make_shared<Bytes>(app), "app.bin", false}},
                                         {true, std::nullopt});
    EXPECT_TRUE(flash::write_flash(rom, plan, {})[0].verified);
    EXPECT_EQ(flash::read_flash(rom, 0x10000, 512, {}), Bytes(app.begin(), app.begin() + 512));

    options.stub = loader::load_stub_file(espfab::test::esptool_js_stub().path);  // a stub the emulator knows
    loader::Session with_stub(*link, options);
    ASSERT_TRUE(with_stub.stub_running());
    EXPECT_EQ(flash::read_flash(with_stub, 0x10000, static_cast<std::uint32_t>(app.size()), {}), app);
    with_stub.finish(loader::AfterReset::NoReset);
  }
  stop = true;
  serving.join();
}

}  // namespace
}  // namespace espfab::test
