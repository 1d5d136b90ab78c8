// The servers on loopback: a tiny test-only SLIP client over TCP (written here, not src/loader),
// the in-process DeviceServer, and the built espfab-emu driven by pyserial's rfc2217 client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/device_server.hpp"
#include "emulator/slip.hpp"
#include "support/esptool_js_stub.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/unique_fd.hpp"

namespace espfab::emulator {
namespace {

class SlipClient {
 public:
  explicit SlipClient(std::uint16_t port) {
    fd_.reset(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  int fd() const noexcept { return fd_.get(); }

  void send(std::uint8_t op, ByteView data, std::uint32_t checksum = 0) {
    Bytes req{0x00, op};
    append_le16(req, static_cast<std::uint16_t>(data.size()));
    append_le32(req, checksum);
    req.insert(req.end(), data.begin(), data.end());
    const Bytes wire = slip_encode(req);
    ASSERT_EQ(::write(fd_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  }
  // Next frame, or empty after 3 s.
  Bytes frame() {
    while (true) {
      if (!frames_.empty()) {
        Bytes f = std::move(frames_.front());
        frames_.erase(frames_.begin());
        return f;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 3000) <= 0) return {};
      std::uint8_t buf[4096];
      const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n <= 0) return {};
      decoder_.feed(ByteView(buf, static_cast<std::size_t>(n)), frames_);
    }
  }

 private:
  UniqueFd fd_;
  SlipDecoder decoder_;
  std::vector<Bytes> frames_;
};

Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) append_le32(out, v);
  return out;
}

// MEM_BEGIN + MEM_DATA in 0x1800-byte blocks (esptool's ESP_RAM_BLOCK), every reply OK.
void upload(SlipClient& host, std::uint32_t address, const Bytes& segment) {
  const auto size = static_cast<std::uint32_t>(segment.size());
  host.send(0x05, words({size, (size + 0x17FF) / 0x1800, 0x1800, address}));
  EXPECT_EQ(host.frame(), Bytes({1, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  for (std::uint32_t seq = 0; seq * 0x1800 < size; ++seq) {
    const auto begin = segment.begin() + seq * 0x1800;
    const Bytes block(begin, begin + std::min<std::uint32_t>(0x1800, size - seq * 0x1800));
    Bytes data = words({static_cast<std::uint32_t>(block.size()), seq, 0, 0});
    data.insert(data.end(), block.begin(), block.end());
    std::uint8_t sum = 0xEF;
    for (auto b : block) sum = static_cast<std::uint8_t>(sum ^ b);
    host.send(0x07, data, sum);
    EXPECT_EQ(host.frame(), Bytes({1, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  }
}

// esptool-js 0.7.0's own ESP32-S3 stub (a published stub the emulator knows) into the device's
// RAM, as if uploaded before the test.
void place_esptool_js_stub(VirtualDevice& device) {
  const auto& stub = espfab::test::esptool_js_stub();
  device.registers().write_block(stub.text_start, stub.text);
  device.registers().write_block(stub.data_start, stub.data);
}

struct Served {
  std::unique_ptr<DeviceServer> server;
  std::atomic<bool> stop{false};
  std::thread thread;
  // `prepare` sets devices up before the server's thread owns them.
  explicit Served(std::size_t count, LinkTimingConfig timing = LinkTimingConfig::instant(),
                  const std::function<void(std::size_t, VirtualDevice&)>& prepare = {}) {
    std::vector<std::unique_ptr<VirtualDevice>> devices;
    for (std::size_t i = 0; i < count; ++i) {
      DeviceConfig config;
      config.flash_size = 0x400000;
      config.mac = mac_for_index(parse_mac("7c:df:a1:00:11:22"), static_cast<std::uint32_t>(i));
      devices.push_back(std::make_unique<VirtualDevice>(config));
      if (prepare) prepare(i, *devices.back());
    }
    server = std::make_unique<DeviceServer>(std::move(devices), ServeProtocol::Socket, 0, timing);
    thread = std::thread([this] { server->run(stop, std::chrono::milliseconds(20)); });
  }
  ~Served() {
    stop = true;
    thread.join();
  }
};

// A line-protocol client of the control channel (docs/emulator.md).
class ControlLine {
 public:
  explicit ControlLine(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ControlLine(const ControlLine&) = delete;
  ControlLine& operator=(const ControlLine&) = delete;
  std::string ask(const std::string& line) {
    const std::string wire = line + "\n";
    EXPECT_EQ(::write(fd_.get(), wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
    std::string answer;
    char c = 0;
    while (answer.find('\n') == std::string::npos) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 3000) <= 0 || ::read(fd_.get(), &c, 1) != 1) break;
      answer += c;
    }
    return answer;
  }

 private:
  UniqueFd fd_;
};

// Raw text from a device's socket until `marker` shows up (or 3 s pass).
std::string read_text_until(int fd, const std::string& marker) {
  std::string text;
  while (text.find(marker) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) break;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// BLOCK0 burned through the controller's registers, as a host would.
void burn_block0(VirtualDevice& device, const std::array<std::uint32_t, 8>& words_to_burn) {
  namespace efuse = chip::esp32s3_efuse;
  auto& controller = device.efuse();
  for (unsigned w = 0; w < 8; ++w) controller.write_register(efuse::kBase + 4 * w, words_to_burn[w]);
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kWriteOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kPgmCmd);
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kReadOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kReadCmd);
}

void expect_rom_sync(SlipClient& host) {
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  host.send(0x08, sync);
  for (int i = 0; i < 8; ++i) {
    const Bytes f = host.frame();
    ASSERT_EQ(f.size(), 12u) << "SYNC response " << i;
    EXPECT_NE(load_le32(f, 4), 0u);
  }
}

// Issue 21 item 4: one device's eFuse state (an XTS key with equal halves, flash encryption on)
// used to throw out of the event loop and end espfab-emu with every device in it.
TEST(EmulatorTcp, OneDevicesKeyStateNeverStopsTheServerOrTheOtherDevices) {
  Served served(2, LinkTimingConfig::instant(), [](std::size_t index, VirtualDevice& device) {
    if (index != 0) return;
    // KEY_PURPOSE_0 = XTS_AES_128_KEY over an all-zero key block, SPI_BOOT_CRYPT_CNT = 1.
    namespace efuse = chip::esp32s3_efuse;
    std::array<std::uint32_t, 8> words_to_burn{};
    words_to_burn[efuse::KEY_PURPOSE_0.word] |= 4u << efuse::KEY_PURPOSE_0.shift;
    words_to_burn[efuse::SPI_BOOT_CRYPT_CNT.word] |= 1u << efuse::SPI_BOOT_CRYPT_CNT.shift;
    burn_block0(device, words_to_burn);
  });
  SlipClient console0(served.server->port(0));
  ControlLine control(served.server->control_port());
  EXPECT_EQ(control.ask("reset boot 0"), "ok\n");
  // The chip decrypts erased flash with its key: noise, so the ROM stops at the header check.
  const std::string boot = read_text_until(console0.fd(), "invalid header: 0x");
  EXPECT_NE(boot.find("invalid header: 0x"), std::string::npos) << boot;
  EXPECT_EQ(control.ask("reset download 1"), "ok\n");
  SlipClient host1(served.server->port(1));
  expect_rom_sync(host1);
  // The device itself goes on too: back in download mode it syncs.
  EXPECT_EQ(control.ask("reset download 0"), "ok\n");
  EXPECT_NE(read_text_until(console0.fd(), "waiting for download").find("waiting for download"), std::string::npos);
  expect_rom_sync(console0);
}

// Issue 22 point 2: the control channel says how long each device was busy (its line moving bytes,
// its chip working), so a bench can tell the host's share of a station's time.
TEST(EmulatorTcp, BusyTimeIsTheSyncExchangeOnTheLineAndNothingElse) {
  using namespace std::chrono_literals;
  LinkTimingConfig timing;
  timing.turnaround = 1ms;
  Served served(2, timing);
  ControlLine control(served.server->control_port());
  SlipClient host(served.server->port(0));
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  host.send(0x08, sync);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(host.frame().size(), 12u);
  std::this_thread::sleep_for(50ms);  // the host's own time: not the device's
  const std::string answer = control.ask("busy 0");
  ASSERT_EQ(answer.rfind("ok busy_us=", 0), 0u) << answer;
  const long busy_us = std::stol(answer.substr(11));
  // request (46 bytes with SLIP framing) + 1 ms turnaround + 8 replies of 14 bytes, at 115200
  const auto expected = LinkTiming::wire_time(46, 115200) + 1ms + LinkTiming::wire_time(8 * 14, 115200);
  EXPECT_NEAR(static_cast<double>(busy_us),
              static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(expected).count()), 200.0);
  const auto intervals = answer.find("intervals=");
  ASSERT_NE(intervals, std::string::npos);
  const long long begin = std::stoll(answer.substr(intervals + 10));
  const auto now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_LT(now_us - begin, 5'000'000);  // epoch microseconds of this run
  EXPECT_GT(now_us - begin, 50'000);
  EXPECT_EQ(control.ask("busy 1"), "ok busy_us=0 folded=0 intervals=\n");
  EXPECT_EQ(control.ask("busy 0 clear"), "ok\n");
  EXPECT_EQ(control.ask("busy 0"), "ok busy_us=0 folded=0 intervals=\n");
  EXPECT_EQ(control.ask("busy 9").rfind("error no device 9", 0), 0u);
}

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
  // stub upload: esptool-js 0.7.0's ESP32-S3 stub, as esptool uploads it
  const auto& stub = espfab::test::esptool_js_stub();
  upload(host, stub.text_start, stub.text);
  upload(host, stub.data_start, stub.data);
  host.send(0x06, words({0, stub.entry}));
  EXPECT_EQ(host.frame().size(), 12u);
  EXPECT_EQ(host.frame(), Bytes({'O', 'H', 'A', 'I'}));
  // stub: plain write of 0x4000 bytes at 0x10000, then MD5
  Bytes image(0x4000);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 7);
  host.send(0x02, words({0x4000, 1, 0x4000, 0x10000}));
  EXPECT_EQ(host.frame(), Bytes({1, 2, 2, 0, 0, 0, 0, 0, 0, 0}));
  Bytes block = words({0x4000, 0, 0, 0});
  block.insert(block.end(), image.begin(), image.end());
  std::uint8_t sum = 0xEF;
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
  Served served(1, LinkTimingConfig::instant(),
                [](std::size_t, VirtualDevice& device) { place_esptool_js_stub(device); });
  {
    SlipClient host(served.server->port(0));
    host.send(0x06, words({0, espfab::test::esptool_js_stub().entry}));
    EXPECT_EQ(host.frame().size(), 12u);
    EXPECT_EQ(host.frame(), Bytes({'O', 'H', 'A', 'I'}));
  }
  // One host per device: a connection that arrives before the server has seen the old one go is
  // closed at once (an empty frame here), and the host connects again, as esptool would retry.
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  Bytes f;
  for (int attempt = 0; attempt < 100 && f.empty(); ++attempt) {
    SlipClient again(served.server->port(0));
    again.send(0x08, sync);
    f = again.frame();
  }
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(load_le32(f, 4), 0u);
}

TEST(EmulatorTcp, AnUnknownUploadNeverSaysOhaiAndTheWatchdogBringsTheRomBack) {  // issue 21 item 1
  Served served(1);
  SlipClient host(served.server->port(0));
  // esptool-js's stub with one byte changed is code the emulator does not know.
  const auto& stub = espfab::test::esptool_js_stub();
  Bytes text = stub.text;
  text[100] ^= 0x01;
  upload(host, stub.text_start, text);
  upload(host, stub.data_start, stub.data);
  host.send(0x06, words({0, stub.entry}));
  EXPECT_EQ(host.frame(), Bytes({1, 6, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Silence (no OHAI, no SYNC answer), then the watchdog's ROM banner about 1 s after MEM_END.
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  host.send(0x08, sync);
  const auto start = std::chrono::steady_clock::now();
  std::string text_out;
  while (text_out.find("waiting for download") == std::string::npos) {
    pollfd p{host.fd(), POLLIN, 0};
    ASSERT_GT(poll(&p, 1, 3000), 0) << "no watchdog banner: " << text_out;
    char buf[512];
    const ssize_t n = ::read(host.fd(), buf, sizeof buf);
    ASSERT_GT(n, 0);
    text_out.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(800));
  EXPECT_EQ(text_out.find("OHAI"), std::string::npos);
  EXPECT_EQ(text_out.find('\xC0'), std::string::npos) << "no frame before the reset";
  EXPECT_NE(text_out.find("rst:0x7 (TG0WDT_SYS_RST),boot:0x0 (DOWNLOAD(USB/UART0))"), std::string::npos) << text_out;
  EXPECT_NE(text_out.find(fmt::format("Saved PC:0x{:08x}", stub.entry)), std::string::npos) << text_out;
  // Back in the ROM loader, which answers SYNC with a non-zero value; the real stub then runs.
  host.send(0x08, sync);
  for (int i = 0; i < 8; ++i) EXPECT_NE(load_le32(host.frame(), 4), 0u);
  upload(host, stub.text_start, stub.text);
  upload(host, stub.data_start, stub.data);
  host.send(0x06, words({0, stub.entry}));
  EXPECT_EQ(host.frame().size(), 12u);
  EXPECT_EQ(host.frame(), Bytes({'O', 'H', 'A', 'I'}));
}

// Runs one of the pyserial client scripts against one RFC 2217 device; its stdout+stderr on failure.
espfab::test::CommandResult run_pyserial_script(const char* script) {
  std::vector<std::unique_ptr<VirtualDevice>> devices;
  devices.push_back(std::make_unique<VirtualDevice>(DeviceConfig{}));
  DeviceServer server(std::move(devices), ServeProtocol::Rfc2217);
  std::atomic<bool> stop{false};
  std::thread thread([&] { server.run(stop, std::chrono::milliseconds(20)); });
  auto result = espfab::test::run_command("/usr/bin/python3", {script, server.url(0)});
  stop = true;
  thread.join();
  return result;
}

// Why the pyserial scripts cannot run here, if they cannot.
std::optional<std::string> pyserial_unavailable() {
  if (::access("/usr/bin/python3", X_OK) != 0) return "no /usr/bin/python3";
  if (espfab::test::run_command("/usr/bin/python3", {"-c", "import serial"}).exit_code != 0) {
    return "python3-serial not installed (scripts/setup installs it)";
  }
  return std::nullopt;
}

// Issue 21 item 6: the ROM starts at 115200 and detects the host's rate on SYNC.
TEST(EmulatorRfc2217, PyserialClientResetsIntoDownloadAndTheRomDetectsTheSyncRate) {
  if (const auto why = pyserial_unavailable()) GTEST_SKIP() << *why;
  const auto result = run_pyserial_script(ESPFAB_PYSERIAL_SCRIPT);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("rfc2217 sync ok"), std::string::npos);
}

// Issue 21 item 6: NOTIFY-MODEMSTATE and BINARY, so pyserial can read CTS/DSR/RI/CD.
TEST(EmulatorRfc2217, PyserialReadsTheModemLinesAndNegotiatesBinary) {
  if (const auto why = pyserial_unavailable()) GTEST_SKIP() << *why;
  const auto result = run_pyserial_script(ESPFAB_PYSERIAL_LINES_SCRIPT);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("rfc2217 lines ok"), std::string::npos);
}

}  // namespace
}  // namespace espfab::emulator
