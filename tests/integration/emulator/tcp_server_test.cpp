// The servers on loopback: a tiny test-only SLIP client over TCP (written here, not src/loader),
// the in-process DeviceServer, and the built espfab-emu driven by pyserial's rfc2217 client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "emulator/device_server.hpp"
#include "emulator/slip.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::emulator {
namespace {

class SlipClient {
 public:
  explicit SlipClient(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~SlipClient() { ::close(fd_); }

  void send(std::uint8_t op, ByteView data, std::uint32_t checksum = 0) {
    Bytes req{0x00, op};
    append_le16(req, static_cast<std::uint16_t>(data.size()));
    append_le32(req, checksum);
    req.insert(req.end(), data.begin(), data.end());
    const Bytes wire = slip_encode(req);
    ASSERT_EQ(::write(fd_, wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  }
  // Next frame, or empty after 3 s.
  Bytes frame() {
    while (true) {
      if (!frames_.empty()) {
        Bytes f = std::move(frames_.front());
        frames_.erase(frames_.begin());
        return f;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 3000) <= 0) return {};
      std::uint8_t buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return {};
      decoder_.feed(ByteView(buf, static_cast<std::size_t>(n)), frames_);
    }
  }

 private:
  int fd_ = -1;
  SlipDecoder decoder_;
  std::vector<Bytes> frames_;
};

Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) append_le32(out, v);
  return out;
}

struct Served {
  std::unique_ptr<DeviceServer> server;
  std::atomic<bool> stop{false};
  std::thread thread;
  explicit Served(std::size_t count, LinkTimingConfig timing = LinkTimingConfig::instant()) {
    std::vector<std::unique_ptr<VirtualDevice>> devices;
    for (std::size_t i = 0; i < count; ++i) {
      DeviceConfig config;
      config.flash_size = 0x400000;
      config.mac = mac_for_index(parse_mac("7c:df:a1:00:11:22"), static_cast<std::uint32_t>(i));
      devices.push_back(std::make_unique<VirtualDevice>(config));
    }
    server = std::make_unique<DeviceServer>(std::move(devices), ServeProtocol::Socket, 0, timing);
    thread = std::thread([this] { server->run(stop, std::chrono::milliseconds(20)); });
  }
  ~Served() {
    stop = true;
    thread.join();
  }
};

TEST(EmulatorTcp, SyncReadMacStubUploadWriteAndMd5OverSocket) {
  Served served(2);
  SlipClient host(served.server->port(1));
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  host.send(0x08, sync);
  for (int i = 0; i < 8; ++i) {
    const Bytes f = host.frame();
    ASSERT_EQ(f.size(), 12u);
    EXPECT_NE(load_le32(f, 4), 0u);
  }
  host.send(0x0A, words({0x60007044}));
  EXPECT_EQ(load_le32(host.frame(), 4), 0xA1001123u);  // device 1: base + 1
  // stub upload
  host.send(0x05, words({16, 1, 0x1800, 0x40378000}));
  EXPECT_EQ(host.frame().size(), 12u);
  Bytes blob(16, 0xAB);
  Bytes data = words({16, 0, 0, 0});
  data.insert(data.end(), blob.begin(), blob.end());
  std::uint8_t sum = 0xEF;
  for (auto b : blob) sum = static_cast<std::uint8_t>(sum ^ b);
  host.send(0x07, data, sum);
  EXPECT_EQ(host.frame().size(), 12u);
  host.send(0x06, words({0, 0x40378A80}));
  EXPECT_EQ(host.frame().size(), 12u);
  EXPECT_EQ(host.frame(), Bytes({'O', 'H', 'A', 'I'}));
  // stub: plain write of 0x4000 bytes at 0x10000, then MD5
  Bytes image(0x4000);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 7);
  host.send(0x02, words({0x4000, 1, 0x4000, 0x10000}));
  EXPECT_EQ(host.frame(), Bytes({1, 2, 2, 0, 0, 0, 0, 0, 0, 0}));
  Bytes block = words({0x4000, 0, 0, 0});
  block.insert(block.end(), image.begin(), image.end());
  sum = 0xEF;
  for (auto b : image) sum = static_cast<std::uint8_t>(sum ^ b);
  host.send(0x03, block, sum);
  EXPECT_EQ(host.frame(), Bytes({1, 3, 2, 0, 0, 0, 0, 0, 0, 0}));
  host.send(0x13, words({0x10000, 0x4000, 0, 0}));
  const Bytes md5 = host.frame();
  ASSERT_EQ(md5.size(), 8u + 16u + 2u);
  const auto expected = crypto::md5(image);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), md5.begin() + 8));
}

TEST(EmulatorTcp, StubSurvivesReconnectLikeEsptoolRuns) {  // checklist 23: "Stub is already running"
  Served served(1);
  {
    SlipClient host(served.server->port(0));
    host.send(0x06, words({0, 0x40378A80}));
    EXPECT_EQ(host.frame().size(), 12u);
    EXPECT_EQ(host.frame(), Bytes({'O', 'H', 'A', 'I'}));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  SlipClient again(served.server->port(0));
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  again.send(0x08, sync);
  const Bytes f = again.frame();
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(load_le32(f, 4), 0u);
}

TEST(EmulatorRfc2217, PyserialClientResetsIntoDownloadAndSyncs) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  if (espfab::test::run_command("/usr/bin/python3", {"-c", "import serial"}).exit_code != 0) {
    GTEST_SKIP() << "python3-serial not installed (scripts/setup installs it)";
  }
  std::vector<std::unique_ptr<VirtualDevice>> devices;
  devices.push_back(std::make_unique<VirtualDevice>(DeviceConfig{}));
  DeviceServer server(std::move(devices), ServeProtocol::Rfc2217);
  std::atomic<bool> stop{false};
  std::thread thread([&] { server.run(stop, std::chrono::milliseconds(20)); });
  const auto result = espfab::test::run_command("/usr/bin/python3", {ESPFAB_PYSERIAL_SCRIPT, server.url(0)});
  stop = true;
  thread.join();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("rfc2217 sync ok"), std::string::npos);
}

}  // namespace
}  // namespace espfab::emulator
