// A device on a pseudo-terminal has no DTR/RTS: the control channel resets it (docs/serial-protocol.md
// §6.2). Host bytes go through the pty slave as esptool would open it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "emulator/device_server.hpp"
#include "emulator/slip.hpp"
#include "support/esptool_js_stub.hpp"
#include "util/bytes.hpp"
#include "util/unique_fd.hpp"

namespace espfab::emulator {
namespace {

using namespace std::chrono_literals;

Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) append_le32(out, v);
  return out;
}

Bytes request(std::uint8_t op, ByteView data) {
  Bytes req{0x00, op};
  append_le16(req, static_cast<std::uint16_t>(data.size()));
  append_le32(req, 0);
  req.insert(req.end(), data.begin(), data.end());
  return slip_encode(req);
}

// Everything that arrives on `fd` until `until` is in it or 3 s pass.
std::string read_until(int fd, std::string_view until) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + 3s;
  while (got.find(until) == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

class ControlClient {
 public:
  explicit ControlClient(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  std::string ask(const std::string& line) {
    const std::string wire = line + "\n";
    EXPECT_EQ(::write(fd_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
    return read_until(fd_.get(), "\n");
  }

 private:
  UniqueFd fd_;
};

TEST(EmulatorPty, ControlChannelResetsIntoDownloadAndBoot) {
  std::vector<std::unique_ptr<VirtualDevice>> devices;
  DeviceConfig config;
  config.flash_size = 0x400000;
  devices.push_back(std::make_unique<VirtualDevice>(config));
  // esptool-js 0.7.0's ESP32-S3 stub in RAM, as if uploaded before.
  const auto& stub = espfab::test::esptool_js_stub();
  devices.back()->registers().write_block(stub.text_start, stub.text);
  devices.back()->registers().write_block(stub.data_start, stub.data);
  DeviceServer server(std::move(devices), ServeProtocol::Pty, 0, LinkTimingConfig::instant());
  std::atomic<bool> stop{false};
  std::thread loop([&] { server.run(stop, 20ms); });

  const int tty = ::open(server.url(0).c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(tty, 0) << server.url(0);
  // start the stub: the device is out of the ROM
  const Bytes mem_end = request(0x06, words({0, stub.entry}));
  ASSERT_EQ(::write(tty, mem_end.data(), mem_end.size()), static_cast<ssize_t>(mem_end.size()));
  EXPECT_NE(read_until(tty, "OHAI").find("OHAI"), std::string::npos);
  EXPECT_EQ(server.device(0).mode(), LoaderMode::Stub);

  ControlClient control(server.control_port());
  EXPECT_EQ(control.ask("reset download 0"), "ok\n");
  const std::string banner = read_until(tty, "waiting for download\r\n");
  EXPECT_NE(banner.find("ESP-ROM:esp32s3"), std::string::npos) << banner;
  EXPECT_NE(banner.find("DOWNLOAD(USB/UART0)"), std::string::npos) << banner;
  // the ROM answers SYNC again, with value != 0
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  const Bytes wire = request(0x08, sync);
  ASSERT_EQ(::write(tty, wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  const std::string replies = read_until(tty, std::string(12, '\0'));  // long enough for one reply
  std::vector<Bytes> frames;
  SlipDecoder decoder;
  const std::string more = replies + read_until(tty, "never");
  decoder.feed(ByteView(reinterpret_cast<const std::uint8_t*>(more.data()), more.size()), frames);
  ASSERT_EQ(frames.size(), 8u);
  EXPECT_NE(load_le32(frames[0], 4), 0u);
  EXPECT_EQ(server.device(0).mode(), LoaderMode::Rom);

  EXPECT_EQ(control.ask("reset boot 0"), "ok\n");
  const std::string boot = read_until(tty, "invalid header");
  EXPECT_NE(boot.find("SPI_FAST_FLASH_BOOT"), std::string::npos) << boot;
  EXPECT_EQ(server.device(0).state(), VirtualDevice::State::Running);

  EXPECT_EQ(control.ask("reset download 7"), "error no device 7 (there are 1)\n");
  EXPECT_EQ(control.ask("reset sideways 0").rfind("error unknown reset mode", 0), 0u);
  EXPECT_EQ(control.ask("reset download 0"), "ok\n");
  EXPECT_EQ(server.device(0).state(), VirtualDevice::State::Download);

  ::close(tty);
  stop = true;
  loop.join();
}

}  // namespace
}  // namespace espfab::emulator
