#include "emulator/hello_client.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "emulator/hello_tls.hpp"
#include "image/secure_cert_tlv.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

constexpr int kKeepAliveSeconds = 10;
constexpr int kLoopSliceMs = 50;

struct MosquittoFree {
  void operator()(mosquitto* m) const noexcept { mosquitto_destroy(m); }
};
using MosquittoPtr = std::unique_ptr<mosquitto, MosquittoFree>;

// What the callbacks saw; only the worker thread that runs the loop touches it.
struct Session {
  std::optional<int> connack;
  std::optional<int> puback;
  std::optional<int> disconnected;
  std::string tls_error;  // OpenSSL's reason from libmosquitto's error log
};

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed" -> the reason.
void on_log(mosquitto*, void* user, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || text == nullptr) return;
  const std::string_view line(text);
  if (!line.starts_with("OpenSSL Error")) return;
  auto* session = static_cast<Session*>(user);
  if (!session->tls_error.empty()) return;  // the first is the cause
  const auto colon = line.rfind(':');
  session->tls_error = std::string(colon == std::string_view::npos ? line : line.substr(colon + 1));
}

std::string describe(int rc, const Session& session) {
  switch (rc) {
    case MOSQ_ERR_ERRNO: return std::system_category().message(errno);
    case MOSQ_ERR_EAI: return std::string("name lookup: ") + gai_strerror(errno);
    case MOSQ_ERR_TLS:
      return "tls: " + (session.tls_error.empty() ? std::string("handshake failed") : session.tls_error);
    case MOSQ_ERR_NO_CONN:
    case MOSQ_ERR_CONN_LOST:
      if (!session.tls_error.empty()) return "tls: " + session.tls_error;
      return "connection lost";
    default: return mosquitto_strerror(rc);
  }
}

// The disconnect callback gets an MQTT v5 reason code (>= 128) from a broker's DISCONNECT, or a
// MOSQ_ERR_* value when the connection broke.
std::string disconnect_reason(int rc, const Session& session) {
  if (rc >= MQTT_RC_UNSPECIFIED) return fmt::format("{} ({})", rc, mosquitto_reason_string(rc));
  return describe(rc, session);
}

// Whether the client's TCP connection is gone (a refused or reset non-blocking connect, which
// libmosquitto's TLS layer keeps retrying as if it were pending).
bool tcp_closed(mosquitto* m) {
  const int fd = mosquitto_socket(m);
  if (fd < 0) return false;
  tcp_info info{};
  socklen_t length = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return false;
  return info.tcpi_state == TCP_CLOSE;
}

// The first errno that tells why a connection failed (other errno values, from name lookup
// files or "try again", say nothing about it).
void note_errno(int& first) {
  switch (errno) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETUNREACH:
    case ENETDOWN:
    case ETIMEDOUT:
    case EADDRNOTAVAIL:
      if (first == 0) first = errno;
      break;
    default: break;
  }
}

HelloOutcome failed(std::string reason) { return HelloOutcome{std::nullopt, std::move(reason)}; }

std::string key_problem(std::uint8_t flags) {
  std::string names;
  for (const auto& name : image::secure_cert_flag_names(flags)) names += (names.empty() ? "" : ",") + name;
  return "private key is not plaintext (" + names + ")";
}

}  // namespace

std::string hello_topic(std::string_view serial) { return fmt::format("devices/{}/hello", serial); }

std::string hello_payload(const HelloMessage& message) {
  return nlohmann::json{{"serial", message.serial}, {"mac", message.mac}, {"app", message.app_version}}.dump();
}

std::string hello_line(std::string_view topic, const HelloOutcome& outcome) {
  if (outcome.puback) {
    return fmt::format("{}{} puback={} ({})", kHelloLinePrefix, topic, *outcome.puback,
                       mosquitto_reason_string(*outcome.puback));
  }
  return fmt::format("{}failed: {}", kHelloLinePrefix, outcome.failure);
}

HelloOutcome send_hello(const HelloBroker& broker, HelloMessage message, const std::atomic<bool>& cancel) {
  const auto deadline = std::chrono::steady_clock::now() + broker.timeout;
  if (message.key_flags != 0) return failed(key_problem(message.key_flags));
  SslCtxPtr ctx;
  try {
    ctx = make_device_tls_context({broker.ca_pem, broker.host, message.certificate_pem, &message.key_pem,
                                   message.ds_key ? message.ds_key->key() : nullptr});
  } catch (const Error& error) {
    message.key_pem.wipe();
    return failed("tls setup: " + error.message());
  }
  message.key_pem.wipe();  // the key lives on only inside the TLS context

  init_library();
  Session session;
  MosquittoPtr client(mosquitto_new(message.serial.c_str(), true, &session));
  if (!client) return failed("mosquitto_new: " + std::system_category().message(errno));
  mosquitto* m = client.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  if (mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, ctx.get()) != MOSQ_ERR_SUCCESS ||
      mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) != MOSQ_ERR_SUCCESS) {
    return failed("libmosquitto has no TLS support");
  }
  mosquitto_log_callback_set(m, on_log);
  mosquitto_connect_v5_callback_set(m, [](mosquitto*, void* user, int rc, int, const mosquitto_property*) {
    static_cast<Session*>(user)->connack = rc;
  });
  mosquitto_publish_v5_callback_set(m, [](mosquitto*, void* user, int, int reason, const mosquitto_property*) {
    static_cast<Session*>(user)->puback = reason;
  });
  mosquitto_disconnect_v5_callback_set(m, [](mosquitto*, void* user, int rc, const mosquitto_property*) {
    static_cast<Session*>(user)->disconnected = rc;
  });

  // Non-blocking connect: an unreachable broker costs the timeout, not the kernel's SYN retries.
  errno = 0;
  int rc = mosquitto_connect_async(m, broker.host.c_str(), broker.port, kKeepAliveSeconds);
  if (rc != MOSQ_ERR_SUCCESS) {  // a fast peer can fail the handshake right here
    return failed((rc == MOSQ_ERR_TLS ? "" : "connect: ") + describe(rc, session));
  }
  int first_errno = 0;
  note_errno(first_errno);

  const std::string topic = hello_topic(message.serial);
  const std::string payload = hello_payload(message);
  bool published = false;
  while (!session.puback) {
    if (cancel.load()) return failed("cancelled");
    if (std::chrono::steady_clock::now() >= deadline) {
      return failed(fmt::format("timeout after {} ms waiting for {}", broker.timeout.count(),
                                session.connack ? "PUBACK" : "CONNACK"));
    }
    errno = 0;
    rc = mosquitto_loop(m, kLoopSliceMs, 1);
    note_errno(first_errno);
    if (!session.connack && tcp_closed(m)) {
      return failed("connect: " +
                    (first_errno != 0 ? std::system_category().message(first_errno) : "connection closed"));
    }
    if (session.connack && *session.connack != 0) {
      return failed(fmt::format("connack {} ({})", *session.connack, mosquitto_reason_string(*session.connack)));
    }
    if (session.puback) break;
    if (session.connack && !published) {
      rc = mosquitto_publish_v5(m, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false,
                                nullptr);
      if (rc != MOSQ_ERR_SUCCESS) return failed("publish: " + describe(rc, session));
      published = true;
      continue;
    }
    if (session.disconnected) return failed("disconnected: " + disconnect_reason(*session.disconnected, session));
    if (rc != MOSQ_ERR_SUCCESS) return failed(describe(rc, session));
  }
  mosquitto_disconnect_v5(m, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
  mosquitto_loop(m, 0, 1);  // sends the DISCONNECT
  return HelloOutcome{session.puback, {}};
}

}  // namespace espfab::emulator
