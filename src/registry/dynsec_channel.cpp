#include "registry/dynsec_channel.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab::registry {

struct DynsecChannel::State {
  mosquitto* client = nullptr;
  BrokerSettings settings;
  std::string where;  // "mqtts://host:port" for messages
  std::optional<int> connect_reason;
  bool subscribed = false;
  int granted_qos = 0;
  bool disconnected = false;
  std::vector<std::string> messages;
};

namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string random_tag() {
  std::uint8_t bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw CryptoError("registry.random", "no random bytes for a request tag");
  return to_hex(ByteView(bytes, sizeof bytes));
}

DynsecChannel::State& state_of(void* userdata) { return *static_cast<DynsecChannel::State*>(userdata); }

void on_connect(mosquitto*, void* userdata, int reason, int, const mosquitto_property*) {
  state_of(userdata).connect_reason = reason;
}

void on_subscribe(mosquitto*, void* userdata, int, int count, const int* granted, const mosquitto_property*) {
  auto& state = state_of(userdata);
  state.subscribed = true;
  state.granted_qos = count > 0 ? granted[0] : 0x80;
}

void on_message(mosquitto*, void* userdata, const mosquitto_message* message, const mosquitto_property*) {
  if (message->payloadlen <= 0) return;
  state_of(userdata).messages.emplace_back(static_cast<const char*>(message->payload),
                                           static_cast<std::size_t>(message->payloadlen));
}

void on_disconnect(mosquitto*, void* userdata, int, const mosquitto_property*) {
  state_of(userdata).disconnected = true;
}

[[noreturn]] void throw_transport(const DynsecChannel::State& state, int rc, const char* doing) {
  const std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
  throw IoError("registry.unreachable", fmt::format("broker {}: {} failed: {}", state.where, doing, why),
                "is the broker running and reachable, with the TLS files the profile names? The station's outbox "
                "retries the registration later");
}

// Runs the network loop until `done` or the deadline.
template <class Done>
void pump(DynsecChannel::State& state, Done done, const char* waiting_for) {
  const auto deadline = std::chrono::steady_clock::now() + state.settings.timeout;
  while (!done()) {
    if (state.disconnected) {
      throw IoError("registry.disconnected",
                    fmt::format("broker {} closed the connection while {}", state.where, waiting_for));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw TimeoutError("registry.timeout",
                         fmt::format("broker {}: no answer within {} ms while {}", state.where,
                                     state.settings.timeout.count(), waiting_for),
                         "check that the dynamic security plugin is loaded and the admin may use $CONTROL topics");
    }
    const int rc = mosquitto_loop(state.client, 50, 1);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) throw_transport(state, rc, waiting_for);
    if (rc == MOSQ_ERR_NO_CONN) state.disconnected = true;
  }
}

}  // namespace

DynsecChannel::DynsecChannel(const BrokerSettings& settings) : state_(std::make_unique<State>()) {
  init_library();
  check_broker_settings(settings);
  const auto address = parse_broker_url(settings.url);
  auto& state = *state_;
  state.settings = settings;
  state.where = settings.url;
  state.client = mosquitto_new(nullptr, true, &state);
  if (state.client == nullptr) throw InternalError("registry.mosquitto_new", "could not create an MQTT client");
  mosquitto_int_option(state.client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_v5_callback_set(state.client, on_connect);
  mosquitto_subscribe_v5_callback_set(state.client, on_subscribe);
  mosquitto_message_v5_callback_set(state.client, on_message);
  mosquitto_disconnect_v5_callback_set(state.client, on_disconnect);
  if (address.tls) {
    const std::string ca = settings.ca_file.string();
    const std::string cert = settings.cert_file.string();
    const std::string key = settings.key_file.string();
    const int rc = mosquitto_tls_set(state.client, ca.c_str(), nullptr, cert.empty() ? nullptr : cert.c_str(),
                                     key.empty() ? nullptr : key.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      throw BadInputError("registry.tls", fmt::format("the broker TLS files were refused: {}", mosquitto_strerror(rc)),
                          "check ca_file, cert_file and key_file in [registration]");
    }
  }
  if (!settings.username.empty()) {
    SecretBytes password = load_broker_password(settings);
    std::string text(reinterpret_cast<const char*>(password.data()), password.size());
    const int rc = mosquitto_username_pw_set(state.client, settings.username.c_str(), text.c_str());
    secure_wipe(text.data(), text.size());
    if (rc != MOSQ_ERR_SUCCESS) throw InternalError("registry.login", "could not set the broker login");
  }
  const int keepalive = 30;
  const int rc = mosquitto_connect(state.client, address.host.c_str(), address.port, keepalive);
  if (rc != MOSQ_ERR_SUCCESS) throw_transport(state, rc, "connecting");
  pump(
      state, [&] { return state.connect_reason.has_value(); }, "waiting for CONNACK");
  if (*state.connect_reason != 0) {
    throw PolicyRefusalError("registry.login_refused",
                             fmt::format("broker {} refused the admin login: {}", state.where,
                                         mosquitto_reason_string(*state.connect_reason)),
                             "check the admin certificate or username/password in [registration]");
  }
  const std::string topic(dynsec::kResponseTopic);
  const int sub = mosquitto_subscribe_v5(state.client, nullptr, topic.c_str(), 1, 0, nullptr);
  if (sub != MOSQ_ERR_SUCCESS) throw_transport(state, sub, "subscribing");
  pump(
      state, [&] { return state.subscribed; }, "subscribing to the dynamic-security response topic");
  if (state.granted_qos >= 0x80) {
    throw PolicyRefusalError(
        "registry.not_admin",
        fmt::format("broker {} does not let this login read {} (reason {})", state.where, topic, state.granted_qos),
        "register with a dynsec admin (a client with the 'admin' role of `mosquitto_ctrl dynsec "
        "init`)");
  }
}

DynsecChannel::~DynsecChannel() {
  if (state_ && state_->client != nullptr) {
    if (!state_->disconnected) {
      mosquitto_disconnect(state_->client);
      mosquitto_loop(state_->client, 10, 1);
    }
    mosquitto_destroy(state_->client);
  }
}

std::vector<dynsec::Response> DynsecChannel::execute(const std::vector<nlohmann::json>& commands) {
  auto& state = *state_;
  const std::string tag = random_tag();
  const std::string payload = dynsec::command_batch(commands, tag).dump();
  const std::string topic(dynsec::kControlTopic);
  const int rc = mosquitto_publish_v5(state.client, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                      payload.data(), 1, false, nullptr);
  if (rc != MOSQ_ERR_SUCCESS) throw_transport(state, rc, "sending a dynamic-security command");
  std::vector<dynsec::Response> mine;
  pump(
      state,
      [&] {
        for (const auto& message : state.messages) {
          mine = dynsec::responses_for(dynsec::parse_responses(message), tag);
          if (!mine.empty()) return true;
        }
        state.messages.clear();
        return false;
      },
      "waiting for the dynamic-security response");
  state.messages.clear();
  if (mine.size() != commands.size()) {
    throw ProtocolError("registry.short_response",
                        fmt::format("broker {} answered {} of {} commands", state.where, mine.size(), commands.size()));
  }
  return mine;
}

}  // namespace espfab::registry
