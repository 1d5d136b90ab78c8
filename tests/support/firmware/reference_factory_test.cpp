#include "support/firmware/reference_factory_test.hpp"

#include <algorithm>
#include <cstring>

namespace espfab::test {

struct ReferenceFactoryTest::Callbacks {
  static ReferenceFactoryTest& self(void* ctx) { return *static_cast<ReferenceFactoryTest*>(ctx); }

  static void write(void* ctx, const char* data, std::size_t len) { self(ctx).output_.append(data, len); }

  static const char* gpio_loopback(void* ctx, int out, int in, espfab_ft_loopback* result) {
    const auto reading = self(ctx).board_.loopback(out, in);
    result->read_high = reading.read_high;
    result->read_low = reading.read_low;
    return nullptr;
  }

  static const char* adc_read(void* ctx, int channel, int samples, espfab_ft_adc* result) {
    const auto reading = self(ctx).board_.adc(channel, samples);
    result->mv = reading.mv;
    result->min_mv = reading.min_mv;
    result->max_mv = reading.max_mv;
    return nullptr;
  }

  static const char* wifi_scan(void* ctx, const char* /*ssid*/, espfab_ft_ap* aps, std::size_t capacity,
                               std::size_t* count) {
    const auto found = self(ctx).board_.scan();
    *count = std::min(found.size(), capacity);
    for (std::size_t i = 0; i < *count; ++i) {
      std::memset(aps[i].ssid, 0, sizeof aps[i].ssid);
      std::memcpy(aps[i].ssid, found[i].ssid.data(), std::min(found[i].ssid.size(), sizeof aps[i].ssid - 1));
      aps[i].rssi = found[i].rssi;
      aps[i].channel = found[i].channel;
    }
    return nullptr;
  }

  static const char* mem_test(void* ctx, const char* region, espfab_ft_mem* result) {
    const auto tested = self(ctx).board_.mem_test(region);
    if (!tested) return "the board has no such region";
    result->pass = tested->pass;
    result->bytes = tested->bytes;
    return nullptr;
  }

  static void restart(void* ctx) { self(ctx).reset_requested_ = true; }

  static const char* sensor(void* ctx, double* value, bool* present) {
    const auto& slot = *static_cast<SensorSlot*>(ctx);
    const auto reading = slot.self->board_.sensor(slot.name);
    if (!reading) return "the board lost its sensor";
    *value = reading->value;
    *present = reading->present;
    return nullptr;
  }
};

ReferenceFactoryTest::ReferenceFactoryTest(emulator::FactoryTestBoard board)
    : board_(std::move(board)), core_(std::make_unique<espfab_ft_core>()) {
  const auto& facts = board_.device();
  espfab_ft_device device{};
  device.mac = facts.mac.c_str();
  device.version = facts.version.c_str();
  device.chip = chip_.c_str();
  device.revision = revision_.c_str();
  device.flash_size = facts.flash_size;
  device.psram_size = facts.psram_size;
  espfab_ft_board callbacks{};
  callbacks.ctx = this;
  callbacks.write = Callbacks::write;
  callbacks.gpio_loopback = Callbacks::gpio_loopback;
  callbacks.adc_read = Callbacks::adc_read;
  callbacks.wifi_scan = Callbacks::wifi_scan;
  callbacks.mem_test = Callbacks::mem_test;
  callbacks.restart = Callbacks::restart;
  espfab_ft_init(core_.get(), &device, &callbacks);
  for (const char* name : {"temp", "humidity", "imu"}) {
    const auto reading = board_.sensor(name);
    if (!reading) continue;
    sensors_.push_back(std::make_unique<SensorSlot>(SensorSlot{this, name, reading->unit}));
    espfab_ft_add_sensor(core_.get(), sensors_.back()->name.c_str(), sensors_.back()->unit.c_str(), Callbacks::sensor,
                         sensors_.back().get());
  }
}

ReferenceFactoryTest::~ReferenceFactoryTest() = default;

std::vector<std::string> ReferenceFactoryTest::take_lines() {
  std::vector<std::string> lines;
  std::size_t end = 0;
  while ((end = output_.find("\r\n")) != std::string::npos) {
    lines.push_back(output_.substr(0, end));
    output_.erase(0, end + 2);
  }
  return lines;
}

std::string ReferenceFactoryTest::ready_line() {
  espfab_ft_start(core_.get());
  auto lines = take_lines();
  return lines.empty() ? std::string() : lines.front();
}

std::vector<std::string> ReferenceFactoryTest::feed(std::string_view bytes) {
  espfab_ft_feed(core_.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return take_lines();
}

std::vector<std::string> ReferenceFactoryTest::handle_line(std::string_view line) {
  return feed(std::string(line) + "\r\n");
}

emulator::FactoryTestFirmwareFactory ReferenceFactoryTest::factory() {
  return [](emulator::FactoryTestBoard board) -> std::unique_ptr<emulator::FactoryTestFirmware> {
    return std::make_unique<ReferenceFactoryTest>(std::move(board));
  };
}

}  // namespace espfab::test
