// espfab-emu as a fixture: images flashed with the espfab CLI, a normal boot through the control
// channel, the console read from the device's TCP port, the factory-test app answering on the
// same link, and a fault given on the command line changing its answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include "support/emulator_process.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

// A TCP client of "127.0.0.1:PORT" or "socket://127.0.0.1:PORT".
class Line {
 public:
  explicit Line(std::string address) {
    if (address.rfind("socket://", 0) == 0) address = address.substr(9);
    const auto colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("connect failed");
  }
  ~Line() { ::close(fd_); }
  void send(const std::string& text) { (void)::send(fd_, text.data(), text.size(), MSG_NOSIGNAL); }
  // Reads until `needle` shows up (or 5 s pass); returns everything read.
  std::string read_until(const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (received_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    std::string out;
    out.swap(received_);
    return out;
  }

 private:
  int fd_ = -1;
  std::string received_;
};

// Bootloader + partition table + a factory-test app (project name patched by `image build`).
void flash_factory_firmware(const std::string& url, const TempDir& dir) {
  const auto boot = (dir.path() / "boot.bin").string();
  const auto app = (dir.path() / "app.bin").string();
  const auto table = (dir.path() / "pt.bin").string();
  ASSERT_EQ(run_espfab({"image", "build", "--elf", (vectors_dir() / "app_image" / "boot_elf.bin").string(), "-o", boot,
                        "--flash-mode", "dio", "--flash-size", "8MB"})
                .exit_code,
            0);
  ASSERT_EQ(run_espfab({"image", "build", "--elf", (vectors_dir() / "app_image" / "app_elf.bin").string(), "-o", app,
                        "--flash-mode", "dio", "--flash-size", "8MB"})
                .exit_code,
            0);
  const auto csv = dir.path() / "partitions.csv";
  {
    std::ofstream out(csv);
    out << "esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted\n"
           "otadata, data, ota, 0x17000, 0x2000,\n"
           "factory, app, factory, 0x20000, 0x100000,\n"
           "ota_0, app, ota_0, 0x120000, 0x100000,\n";
  }
  ASSERT_EQ(run_espfab({"partition-table", csv.string(), "-o", table}).exit_code, 0);
  const auto written =
      run_espfab({"write-flash", "--port", url, "--after", "no_reset", "0x0", boot, "0x8000", table, "0x20000", app});
  ASSERT_EQ(written.exit_code, 0) << written.err;
}

TEST(EmulatorBoot, ControlResetBootsTheFlashedFirmware) {
  EmulatorProcess emu;
  TempDir dir;
  flash_factory_firmware(emu.url(), dir);
  Line control(emu.control());
  std::string console;
  {
    Line device(emu.url());  // one host at a time on a device port, like a serial port
    control.send("reset boot 0\n");
    EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
    console = device.read_until("main_task");
  }
  EXPECT_NE(console.find("rst:0x"), std::string::npos) << console;
  EXPECT_NE(console.find("boot: Loaded app from partition at offset 0x20000"), std::string::npos) << console;
  EXPECT_EQ(console.find("E ("), std::string::npos) << console;
  // No esp_secure_cert contents yet: the production app says so.
  EXPECT_NE(console.find("espfab_identity: no device certificate"), std::string::npos) << console;
  // Back to the ROM loader: the device answers espfab again.
  control.send("reset download 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  EXPECT_EQ(run_espfab({"chip-id", "--port", emu.url(), "--before", "no_reset"}).exit_code, 0);
}

TEST(EmulatorBoot, FaultOptionsAreCheckedAtStart) {
  const auto emu = build_dir() / "apps" / "espfab-emu" / "espfab-emu";
  auto result = run_command(emu, {"--devices", "2", "--fault", "5:no_psram"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("device index"), std::string::npos) << result.err;
  result = run_command(emu, {"--devices", "2", "--fault", "1:teleport=1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("teleport"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace espfab::test
