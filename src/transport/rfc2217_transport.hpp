// rfc2217://host:port: a serial port behind a network serial server (ser2net, esp_rfc2217_server)
// through the Telnet COM-PORT-OPTION (RFC 2217): baud rate, DTR/RTS and purge are sent as
// sub-negotiations, data has IAC doubled. Works over any inner byte link (a TCP socket in use,
// a scripted fake in tests).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transport/telnet_codec.hpp"
#include "transport/transport.hpp"

namespace espfab::transport {

namespace rfc2217 {
// Client-to-server command codes; the server answers with code + kServerOffset.
inline constexpr std::uint8_t kSetBaudrate = 1;
inline constexpr std::uint8_t kSetDatasize = 2;
inline constexpr std::uint8_t kSetParity = 3;
inline constexpr std::uint8_t kSetStopsize = 4;
inline constexpr std::uint8_t kSetControl = 5;
inline constexpr std::uint8_t kPurgeData = 12;
inline constexpr std::uint8_t kServerOffset = 100;

inline constexpr std::uint8_t kParityNone = 1;
inline constexpr std::uint8_t kStopsizeOne = 1;
inline constexpr std::uint8_t kControlDtrOn = 8;
inline constexpr std::uint8_t kControlDtrOff = 9;
inline constexpr std::uint8_t kControlRtsOn = 11;
inline constexpr std::uint8_t kControlRtsOff = 12;
inline constexpr std::uint8_t kPurgeReceive = 1;  // the server's buffer of data from the device
}  // namespace rfc2217

class Rfc2217Transport final : public Transport {
 public:
  struct Options {
    std::uint32_t baud = 115200;
    // How long to wait for the server to accept COM-PORT-OPTION and to confirm a baud rate.
    std::chrono::milliseconds negotiation_timeout{2000};
  };

  static std::unique_ptr<Rfc2217Transport> connect(const std::string& host, std::uint16_t port, Options options);
  // Negotiates over `link` (already connected); throws ProtocolError when the server refuses
  // COM-PORT-OPTION, TimeoutError when it does not answer.
  Rfc2217Transport(std::unique_ptr<Transport> link, std::string peer, Options options);

  std::size_t read(std::span<std::uint8_t> out, Deadline deadline) override;
  void write(ByteView data) override;
  void drain_input() override;
  void flush_output() override { link_->flush_output(); }
  void set_baud(std::uint32_t baud) override;
  std::uint32_t baud() const override { return baud_; }
  bool set_control_lines(ControlLines lines) override;
  std::string describe() const override { return "rfc2217 " + peer_; }

  // The last baud rate the server confirmed (tests, diagnostics).
  std::optional<std::uint32_t> confirmed_baud() const { return confirmed_baud_; }

 private:
  enum class OptionState : std::uint8_t { Off, Requested, On };

  void send_command(std::uint8_t command, ByteView value);
  // Reads from the link once (until the deadline) and handles what came in; false on timeout.
  bool pump(const Deadline& deadline);
  void handle(const telnet::Event& event);
  void handle_negotiation(std::uint8_t verb, std::uint8_t option);
  static bool we_support(std::uint8_t option);
  static bool peer_may(std::uint8_t option);

  std::unique_ptr<Transport> link_;
  std::string peer_;
  Options options_;
  std::uint32_t baud_ = 0;
  std::optional<std::uint32_t> confirmed_baud_;
  bool com_port_refused_ = false;
  telnet::Decoder decoder_;
  Bytes data_;  // decoded data not yet returned by read()
  std::size_t data_offset_ = 0;
  std::array<OptionState, 256> ours_{};    // options we perform (WILL)
  std::array<OptionState, 256> theirs_{};  // options the server performs (DO)
};

}  // namespace espfab::transport
