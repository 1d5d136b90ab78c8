// One virtual device served in-process over rfc2217:// (reset lines), for step tests. The test
// reads the chip's own state (flash, eFuses) through chip() once the step it ran has returned:
// the device is then idle, waiting for the host.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "emulator/device_server.hpp"
#include "emulator/virtual_device.hpp"

namespace espfab::test {

struct ServedDevice {
  std::unique_ptr<emulator::DeviceServer> server;
  std::atomic<bool> stop{false};
  std::thread thread;
  explicit ServedDevice(emulator::DeviceConfig config = small_flash()) {
    std::vector<std::unique_ptr<emulator::VirtualDevice>> devices;
    devices.push_back(std::make_unique<emulator::VirtualDevice>(std::move(config)));
    server = std::make_unique<emulator::DeviceServer>(std::move(devices), emulator::ServeProtocol::Rfc2217);
    thread = std::thread([this] { server->run(stop, std::chrono::milliseconds(20)); });
  }
  ~ServedDevice() {
    stop = true;
    thread.join();
  }
  ServedDevice(const ServedDevice&) = delete;
  ServedDevice& operator=(const ServedDevice&) = delete;

  std::string url() const { return server->url(0); }
  emulator::VirtualDevice& chip() { return server->device(0); }

  static emulator::DeviceConfig small_flash() {
    emulator::DeviceConfig config;
    config.flash_size = 0x400000;
    return config;
  }
};

}  // namespace espfab::test
