// espfab-emu: serves `--devices N` virtual ESP32-S3s and prints one JSON line per device
// ({"index", "url", "mac", "control"}) once they are reachable; runs until SIGINT/SIGTERM.
// With --broker/--broker-ca the production app of every device says hello to that MQTT broker
// after each normal boot (docs/emulator.md, "Device hello").
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>

#include "chip/esp32s3.hpp"
#include "emulator/device_server.hpp"
#include "emulator/hello_broker.hpp"
#include "emulator/virtual_device.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

using namespace espfab;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

struct EmuOptions {
  unsigned devices = 1;
  std::string protocol = "socket";
  std::string state_dir;
  std::string flash_size = "8MB";
  std::string mac_base = "7c:df:a1:00:00:00";
  std::string realtime = "on";
  std::uint16_t first_port = 0;
  std::uint16_t control_port = 0;
  unsigned turnaround_us = 1000;
  unsigned sector_erase_ms = 30;
  unsigned block_erase_ms = 150;
  unsigned write_kbps = 400;
  unsigned chip_erase_ms_per_mib = 2500;
  std::string log_level = "warn";
  std::vector<std::string> faults;
  std::string adapter_max_baud;    // every device's adapter (a --fault knob of the same name wins)
  std::string corrupt_above_baud;  // every device's cable
  std::string broker_url;
  std::string broker_ca;
  std::string usb_dir;
  unsigned usb_reenumerate_ms = 300;
};

void add_options(CLI::App& app, EmuOptions& o) {
  app.add_option("--devices", o.devices, "number of virtual devices")->check(CLI::Range(1u, 256u));
  app.add_option("--protocol", o.protocol,
                 "socket (raw TCP), rfc2217 (TCP with DTR/RTS and baud), pty, or usb (each device's "
                 "USB-Serial/JTAG port: a pty behind a by-id link that goes away at every chip reset and comes "
                 "back; DTR/RTS through the preload library printed as \"preload\", see docs/emulator.md)")
      ->check(CLI::IsMember({"socket", "rfc2217", "pty", "usb"}));
  app.add_option("--usb-dir", o.usb_dir,
                 "with --protocol usb: the by-id directory of the ports (default STATE_DIR/by-id, or a new "
                 "directory under /tmp without --state-dir)");
  app.add_option("--usb-reenumerate-ms", o.usb_reenumerate_ms,
                 "with --protocol usb: how long a port is gone after a chip reset (default 300)");
  app.add_option("--state-dir", o.state_dir,
                 "directory for each device's state (devN/flash.bin, devN/efuse.bin); in memory when absent");
  app.add_option("--flash-size", o.flash_size, "flash size of every device (1MB .. 128MB)");
  app.add_option("--mac-base", o.mac_base, "factory MAC of device 0; device N gets base + N");
  app.add_option("--realtime", o.realtime,
                 "on: the link runs at baud/10 bytes/s with turnaround latency and flash erase/write time; "
                 "off: no delays")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--turnaround-us", o.turnaround_us, "latency before each reply, in microseconds (default 1000)");
  app.add_option("--sector-erase-ms", o.sector_erase_ms, "time to erase one 4 KiB flash sector (default 30)");
  app.add_option("--block-erase-ms", o.block_erase_ms,
                 "time to erase one 64 KiB flash block (default 150); the stub erases whole blocks where it can");
  app.add_option("--flash-write-kbps", o.write_kbps, "flash program throughput in kB/s (default 400)")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--chip-erase-ms-per-mb", o.chip_erase_ms_per_mib, "ERASE_FLASH time per MiB of flash (default 2500)");
  app.add_option("--control-port", o.control_port,
                 "TCP port on 127.0.0.1 of the control channel (lines 'reset download N', 'reset boot N', 'fault N "
                 "KNOBS', 'busy N'; docs/emulator.md); "
                 "0 = ephemeral, printed as \"control\" in every device line");
  app.add_option("--port", o.first_port, "first TCP port (device N uses port + N); 0 = ephemeral ports");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, off");
  app.add_option("--fault", o.faults,
                 "N:KNOBS - device N misbehaves: factory-test app gpio_stuck=PIN:high|low, sensor_missing=NAME, "
                 "wifi_rssi=DBM, no_psram, hang_on=CMD, boot_loop; link drop_after=BYTES, bitflip=PPM; "
                 "wrong_chip, efuse_power_loss=N, drop_after_burn=N (the cable is cut once the Nth eFuse program cycle "
                 "from now has burned: the host never sees the reply; until the fault is cleared), no_flash "
                 "(comma-separated; repeatable); the fixture's USB-UART adapter and cable: adapter_max_baud=N, "
                 "corrupt_above_baud=N, corrupt_every=K");
  app.add_option("--adapter-max-baud", o.adapter_max_baud,
                 "every device's USB-UART adapter runs at most N baud: over rfc2217 SET-BAUDRATE above N answers N "
                 "(the rate it uses); a chip switched above N is unreachable until its next reset (per device: "
                 "--fault D:adapter_max_baud=N)");
  app.add_option("--corrupt-above-baud", o.corrupt_above_baud,
                 "every device's cable damages one byte in 256 (corrupt_every=K) in each direction while the line "
                 "runs above N baud (per device: --fault D:corrupt_above_baud=N)");
  auto* broker_option =
      app.add_option("--broker", o.broker_url,
                     "mqtts://HOST:PORT - after each normal boot the production app connects there with the "
                     "certificate and key of its esp_secure_cert partition (MQTT v5, TLS), publishes one QoS 1 "
                     "message to devices/<CN>/hello and prints 'espfab_hello: devices/<CN>/hello puback=<code> "
                     "(<reason>)' or 'espfab_hello: failed: <reason>' on its console (5 s timeout)");
  auto* broker_ca_option =
      app.add_option("--broker-ca", o.broker_ca, "PEM file with the CA that signed the broker's server certificate")
          ->check(CLI::ExistingFile);
  broker_option->needs(broker_ca_option);
  broker_ca_option->needs(broker_option);
}

emulator::LinkTimingConfig link_timing(const EmuOptions& o) {
  emulator::LinkTimingConfig timing;
  timing.realtime = o.realtime == "on";
  timing.turnaround = std::chrono::microseconds(o.turnaround_us);
  timing.sector_erase = std::chrono::milliseconds(o.sector_erase_ms);
  timing.block_erase = std::chrono::milliseconds(o.block_erase_ms);
  timing.program_bytes_per_second = o.write_kbps * 1000;
  timing.chip_erase_per_mib = std::chrono::milliseconds(o.chip_erase_ms_per_mib);
  return timing;
}

// The knobs of each --fault N:KNOBS by device index; every bad one refused before anything starts.
std::map<unsigned, emulator::DeviceFaults> faults_by_device(const EmuOptions& o) {
  std::map<unsigned, emulator::DeviceFaults> out;
  for (const auto& fault : o.faults) {
    const auto colon = fault.find(':');
    const std::string index = fault.substr(0, colon);
    if (colon == std::string::npos || index.empty() || index.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(index) >= o.devices) {
      throw BadInputError("emulator.bad_fault", "--fault " + fault + ": expected N:KNOBS with N a device index",
                          "for example --fault 2:gpio_stuck=4:high");
    }
    out[static_cast<unsigned>(std::stoul(index))] = emulator::parse_device_faults(fault.substr(colon + 1));
  }
  return out;
}

std::vector<std::unique_ptr<emulator::VirtualDevice>> make_devices(const EmuOptions& o) {
  const auto size = chip::kEsp32s3.flash_size_bytes(o.flash_size);
  if (!size) {
    throw BadInputError("emulator.bad_flash_size", "unknown flash size '" + o.flash_size + "'",
                        "use one of 1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB, 128MB");
  }
  const emulator::MacAddress base = emulator::parse_mac(o.mac_base);
  std::optional<emulator::HelloBroker> broker;
  if (!o.broker_url.empty()) broker = emulator::load_hello_broker(o.broker_url, o.broker_ca);
  auto faults = faults_by_device(o);
  std::optional<std::uint32_t> adapter_max;
  std::optional<std::uint32_t> corrupt_above;
  if (!o.adapter_max_baud.empty()) adapter_max = emulator::parse_baud_knob(o.adapter_max_baud, "--adapter-max-baud");
  if (!o.corrupt_above_baud.empty()) {
    corrupt_above = emulator::parse_baud_knob(o.corrupt_above_baud, "--corrupt-above-baud");
  }
  std::vector<std::unique_ptr<emulator::VirtualDevice>> list;
  for (unsigned i = 0; i < o.devices; ++i) {
    emulator::DeviceConfig config;
    if (!o.state_dir.empty()) config.state_dir = std::filesystem::path(o.state_dir) / ("dev" + std::to_string(i));
    config.flash_size = *size;
    config.mac = emulator::mac_for_index(base, i);
    config.broker = broker;
    if (const auto it = faults.find(i); it != faults.end()) config.faults = it->second;
    if (!config.faults.adapter_max_baud) config.faults.adapter_max_baud = adapter_max;
    if (!config.faults.corrupt_above_baud) config.faults.corrupt_above_baud = corrupt_above;
    list.push_back(std::make_unique<emulator::VirtualDevice>(config));
  }
  return list;
}

// Serves the devices until SIGINT/SIGTERM, after one JSON line per device on stdout.
int serve(const EmuOptions& o) {
  log::configure_logging(log::parse_level(o.log_level));
  auto devices = make_devices(o);
  emulator::UsbOptions usb;
  if (o.protocol == "usb") {
    usb.by_id_dir = !o.usb_dir.empty()     ? std::filesystem::path(o.usb_dir)
                    : !o.state_dir.empty() ? std::filesystem::path(o.state_dir) / "by-id"
                                           : emulator::make_usb_dir();
    usb.reenumeration = std::chrono::milliseconds(o.usb_reenumerate_ms);
  }
  emulator::DeviceServer server(std::move(devices), emulator::parse_protocol(o.protocol), o.first_port, link_timing(o),
                                o.control_port, usb);
  for (std::size_t i = 0; i < server.size(); ++i) {
    nlohmann::json line{{"index", i},
                        {"url", server.url(i)},
                        {"mac", emulator::format_mac(server.device(i).efuse().mac())},
                        {"control", "127.0.0.1:" + std::to_string(server.control_port())}};
    if (o.protocol == "usb") line["preload"] = emulator::usb_lines_library().string();
    std::cout << line.dump() << std::endl;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  server.run(g_stop);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"espfab-emu: virtual ESP32-S3 devices for espfab, esptool and esptool-js"};
    EmuOptions options;
    add_options(app, options);
    CLI11_PARSE(app, argc, argv);
    return serve(options);
  } catch (const Error& e) {
    std::cerr << "espfab-emu: " << e.describe() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "espfab-emu: " << e.what() << "\n";
    return 2;
  } catch (...) {
    return 2;
  }
}
