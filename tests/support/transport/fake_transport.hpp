// An in-memory Transport for tests: bytes the "device" sends are queued with push_input (or by a
// responder that sees every write), writes are recorded, baud and line changes are logged.
// A read with nothing queued returns 0 at once: the deadline "passes" without waiting.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "transport/transport.hpp"

namespace espfab::test {

class FakeTransport final : public transport::Transport {
 public:
  // Called with each write's bytes; may call push_input to answer.
  using Responder = std::function<void(ByteView written)>;

  void push_input(ByteView bytes) { input_.insert(input_.end(), bytes.begin(), bytes.end()); }
  void set_responder(Responder responder) { responder_ = std::move(responder); }

  const Bytes& written() const { return written_; }
  void clear_written() { written_.clear(); }
  std::size_t pending_input() const { return input_.size(); }

  // In order: "write 12", "baud 921600", "lines dtr=1 rts=0", "drain", "flush".
  const std::vector<std::string>& events() const { return events_; }
  const std::vector<transport::ControlLines>& line_changes() const { return lines_; }

  bool control_lines_supported = true;
  std::size_t max_read_chunk = std::numeric_limits<std::size_t>::max();
  // When true, a read with nothing queued throws IoError (the link dropped).
  bool hang_up_when_empty = false;
  // When true, drain_input() drops queued input (as a real link would).
  bool drain_discards = true;

  std::size_t read(std::span<std::uint8_t> out, Deadline deadline) override;
  void write(ByteView data) override;
  void drain_input() override;
  void flush_output() override { events_.push_back("flush"); }
  void set_baud(std::uint32_t baud) override;
  std::uint32_t baud() const override { return baud_; }
  bool set_control_lines(transport::ControlLines lines) override;
  std::string describe() const override { return "fake"; }

 private:
  std::deque<std::uint8_t> input_;
  Bytes written_;
  Responder responder_;
  std::vector<std::string> events_;
  std::vector<transport::ControlLines> lines_;
  std::uint32_t baud_ = 115200;
};

}  // namespace espfab::test
