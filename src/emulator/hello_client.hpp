// The production firmware's device hello over MQTT v5 and TLS (libmosquitto): connect with the
// device certificate and key from its esp_secure_cert partition, publish one QoS 1 message to
// devices/<CN>/hello, read the PUBACK reason code. Blocking, bounded by the broker's timeout;
// meant for a worker thread (hello_task.hpp). The result is the one console line the app prints:
//   espfab_hello: devices/<CN>/hello puback=<reason code> (<mosquitto_reason_string>)
//   espfab_hello: failed: <short reason>
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "emulator/device_ds_key.hpp"
#include "emulator/hello_broker.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {

inline constexpr std::string_view kHelloLinePrefix = "espfab_hello: ";

struct HelloMessage {
  std::string serial;  // the certificate's CN: client id and topic
  std::string mac;
  std::string app_version;
  std::string certificate_pem;
  SecretBytes key_pem;  // wiped once it is in the TLS context
  std::uint8_t key_flags = 0;
  std::unique_ptr<DeviceDsKey> ds_key;  // a DS identity: signs on the chip's DS (then no key_pem)
};

struct HelloOutcome {
  std::optional<int> puback;  // the PUBACK reason code (0, 16: allowed; 135: not authorized)
  std::string failure;        // why there is none
};

std::string hello_topic(std::string_view serial);                             // devices/<serial>/hello
std::string hello_payload(const HelloMessage& message);                       // {"serial","mac","app"}
std::string hello_line(std::string_view topic, const HelloOutcome& outcome);  // without CRLF

// Runs the whole exchange; `cancel` (checked every 50 ms) ends it early with failure "cancelled".
HelloOutcome send_hello(const HelloBroker& broker, HelloMessage message, const std::atomic<bool>& cancel);

}  // namespace espfab::emulator
