// The emulator's link timing model under load (issue 3 point 5): 16 virtual devices in one
// DeviceServer (one epoll thread), each with its own host connection, the stub running at 921600
// baud. Every host streams READ_FLASH (device -> host) and then uncompressed FLASH_DATA (host ->
// device) at the same time; the byte rate each host measures on the wire is compared with
// baud/10. Then all stay connected and idle, and the server thread's CPU time is measured.
// Targets: rate within 2 % of baud/10, idle CPU < 5 % of one core. Prints; never asserts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <thread>
#include <vector>

#include "emulator/device_server.hpp"
#include "emulator/slip.hpp"
#include "loader/stub.hpp"
#include "util/bytes.hpp"

namespace {

using namespace espfab;
using namespace espfab::emulator;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kDevices = 16;
constexpr std::uint32_t kBaud = 921600;
constexpr std::uint32_t kReadSize = 512 * 1024;
constexpr std::uint32_t kWriteSize = 256 * 1024;
constexpr std::uint32_t kBlock = 0x4000;

// A host written for this benchmark (never src/loader): SLIP over a blocking TCP socket that
// counts raw bytes in both directions.
class Host {
 public:
  explicit Host(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Host() { ::close(fd_); }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  void send_raw(ByteView payload) {
    const Bytes wire = slip_encode(payload);
    std::size_t done = 0;
    while (done < wire.size()) {
      const ssize_t n = ::write(fd_, wire.data() + done, wire.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    sent_ += wire.size();
  }
  void command(std::uint8_t op, ByteView data, std::uint32_t checksum = 0) {
    Bytes req{0x00, op};
    append_le16(req, static_cast<std::uint16_t>(data.size()));
    append_le32(req, checksum);
    req.insert(req.end(), data.begin(), data.end());
    send_raw(req);
  }
  Bytes frame() {
    while (frames_.empty()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) std::abort();
      std::uint8_t buffer[8192];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) std::abort();
      received_ += static_cast<std::size_t>(n);
      decoder_.feed(ByteView(buffer, static_cast<std::size_t>(n)), frames_);
    }
    Bytes f = std::move(frames_.front());
    frames_.erase(frames_.begin());
    return f;
  }
  std::size_t received() const { return received_; }
  std::size_t sent() const { return sent_; }

 private:
  int fd_;
  SlipDecoder decoder_;
  std::vector<Bytes> frames_;
  std::size_t received_ = 0;
  std::size_t sent_ = 0;
};

Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (auto v : values) append_le32(out, v);
  return out;
}

Bytes data_block(std::uint32_t seq, ByteView data, std::uint32_t& checksum) {
  Bytes out = words({static_cast<std::uint32_t>(data.size()), seq, 0, 0});
  out.insert(out.end(), data.begin(), data.end());
  std::uint8_t sum = 0xEF;
  for (auto b : data) sum = static_cast<std::uint8_t>(sum ^ b);
  checksum = sum;
  return out;
}

struct Rates {
  double read_ratio = 0;
  double write_ratio = 0;
};

// Sync, stub, 921600, then the two timed streams.
Rates run_host(std::uint16_t port, std::uint32_t stub_entry, std::barrier<>& start) {
  Host host(port);
  Bytes sync{0x07, 0x07, 0x12, 0x20};
  sync.resize(36, 0x55);
  host.command(0x08, sync);
  for (int i = 0; i < 8; ++i) host.frame();
  host.command(0x06, words({0, stub_entry}));  // the stub in RAM starts and answers OHAI
  host.frame();
  host.frame();
  host.command(0x0F, words({kBaud, 115200}));
  host.frame();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  start.arrive_and_wait();

  const double line = kBaud / 10.0;
  Rates rates;
  // device -> host: READ_FLASH with esptool's window of 64 packets, every packet acknowledged
  host.command(0xD2, words({0, kReadSize, 0x1000, 64}));
  host.frame();  // status
  const std::size_t rx0 = host.received();
  const auto t0 = Clock::now();
  std::uint32_t got = 0;
  while (got < kReadSize) {
    got += static_cast<std::uint32_t>(host.frame().size());
    host.send_raw(words({got}));
  }
  host.frame();  // digest
  const double read_s = std::chrono::duration<double>(Clock::now() - t0).count();
  rates.read_ratio = static_cast<double>(host.received() - rx0) / read_s / line;

  // host -> device: uncompressed 16 KiB blocks, each sent when the previous one is acknowledged
  host.command(0x02, words({kWriteSize, kWriteSize / kBlock, kBlock, 0x200000}));
  host.frame();
  Bytes image(kBlock);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 31 + 7);
  const std::size_t tx0 = host.sent();
  const auto t1 = Clock::now();
  for (std::uint32_t seq = 0; seq < kWriteSize / kBlock; ++seq) {
    std::uint32_t checksum = 0;
    const Bytes block = data_block(seq, image, checksum);
    host.command(0x03, block, checksum);
    host.frame();
  }
  const double write_s = std::chrono::duration<double>(Clock::now() - t1).count();
  rates.write_ratio = static_cast<double>(host.sent() - tx0) / write_s / line;
  host.command(0x04, words({1}));
  host.frame();
  start.arrive_and_wait();  // stay connected while the idle CPU is measured
  start.arrive_and_wait();
  return rates;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The emulator runs published flasher stubs only: esptool-js 0.7.0's, which the e2e tests install
// into the build tree (ctest -R esptool_js.install), or the JSON named by ESPFAB_STUB_JSON.
std::optional<espfab::loader::StubImage> published_stub() {
  const char* path = std::getenv("ESPFAB_STUB_JSON");
  try {
    return espfab::loader::load_stub_file(path ? path : ESPFAB_ESPTOOL_JS_STUB);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void BM_EmulatorLink16Devices(benchmark::State& state) {
  const auto stub = published_stub();
  if (!stub) {
    state.SkipWithError("no published ESP32-S3 stub: run ctest -R esptool_js.install or set ESPFAB_STUB_JSON");
    return;
  }
  for (auto _ : state) {
    std::vector<std::unique_ptr<VirtualDevice>> devices;
    for (std::size_t i = 0; i < kDevices; ++i) {
      DeviceConfig config;
      config.flash_size = 4 * 1024 * 1024;
      devices.push_back(std::make_unique<VirtualDevice>(config));
      // The stub's bytes in RAM, as if uploaded before (the upload is not what is measured).
      devices.back()->registers().write_block(stub->text_start, stub->text);
      devices.back()->registers().write_block(stub->data_start, stub->data);
    }
    DeviceServer server(std::move(devices), ServeProtocol::Socket, 0, LinkTimingConfig{});
    std::atomic<bool> stop{false};
    std::atomic<clockid_t> server_clock{CLOCK_THREAD_CPUTIME_ID};
    std::atomic<bool> clock_ready{false};
    std::thread server_thread([&] {
      clockid_t id{};
      pthread_getcpuclockid(pthread_self(), &id);
      server_clock = id;
      clock_ready = true;
      server.run(stop, std::chrono::milliseconds(200));
    });
    while (!clock_ready) std::this_thread::yield();

    std::barrier<> phase(static_cast<std::ptrdiff_t>(kDevices + 1));
    std::vector<Rates> rates(kDevices);
    std::vector<std::thread> hosts;
    for (std::size_t i = 0; i < kDevices; ++i) {
      hosts.emplace_back([&, i] { rates[i] = run_host(server.port(i), stub->entry, phase); });
    }
    phase.arrive_and_wait();  // all at 921600
    const double busy_cpu0 = cpu_seconds(server_clock);
    const auto busy_t0 = Clock::now();
    phase.arrive_and_wait();  // all streams done
    const double busy_wall = std::chrono::duration<double>(Clock::now() - busy_t0).count();
    const double busy_cpu = cpu_seconds(server_clock) - busy_cpu0;
    const double idle_cpu0 = cpu_seconds(server_clock);
    const auto idle_t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const double idle_wall = std::chrono::duration<double>(Clock::now() - idle_t0).count();
    const double idle_cpu = cpu_seconds(server_clock) - idle_cpu0;
    phase.arrive_and_wait();
    for (auto& t : hosts) t.join();
    stop = true;
    server_thread.join();

    double read_min = 1e9, read_max = 0, write_min = 1e9, write_max = 0, read_sum = 0, write_sum = 0;
    for (const Rates& r : rates) {
      read_min = std::min(read_min, r.read_ratio);
      read_max = std::max(read_max, r.read_ratio);
      write_min = std::min(write_min, r.write_ratio);
      write_max = std::max(write_max, r.write_ratio);
      read_sum += r.read_ratio;
      write_sum += r.write_ratio;
    }
    state.SetIterationTime(busy_wall);
    state.counters["read_ratio_min"] = read_min;
    state.counters["read_ratio_max"] = read_max;
    state.counters["write_ratio_min"] = write_min;
    state.counters["write_ratio_max"] = write_max;
    state.counters["busy_cpu_pct"] = 100.0 * busy_cpu / busy_wall;
    state.counters["idle_cpu_pct"] = 100.0 * idle_cpu / idle_wall;
    std::printf(
        "emulator link, %zu devices at %u baud (target: rate within 2 %% of baud/10, idle CPU < 5 %%):\n"
        "  device->host READ_FLASH rate / (baud/10): mean %.4f, min %.4f, max %.4f\n"
        "  host->device FLASH_DATA rate / (baud/10): mean %.4f, min %.4f, max %.4f\n"
        "  server thread CPU: %.2f %% of one core while streaming, %.3f %% idle (16 hosts connected)\n",
        kDevices, kBaud, read_sum / kDevices, read_min, read_max, write_sum / kDevices, write_min, write_max,
        100.0 * busy_cpu / busy_wall, 100.0 * idle_cpu / idle_wall);
  }
}
BENCHMARK(BM_EmulatorLink16Devices)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
