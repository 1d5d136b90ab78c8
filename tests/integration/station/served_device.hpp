// One virtual device served in-process over rfc2217:// (reset lines), for step tests.
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
  ServedDevice() {
    std::vector<std::unique_ptr<emulator::VirtualDevice>> devices;
    emulator::DeviceConfig config;
    config.flash_size = 0x400000;
    devices.push_back(std::make_unique<emulator::VirtualDevice>(config));
    server = std::make_unique<emulator::DeviceServer>(std::move(devices), emulator::ServeProtocol::Rfc2217);
    thread = std::thread([this] { server->run(stop, std::chrono::milliseconds(20)); });
  }
  ~ServedDevice() {
    stop = true;
    thread.join();
  }
};

}  // namespace espfab::test
