#include "support/transport/fake_transport.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace espfab::test {

std::size_t FakeTransport::read(std::span<std::uint8_t> out, Deadline) {
  if (input_.empty()) {
    if (hang_up_when_empty) throw IoError("transport.hang_up", "fake link hung up", "");
    return 0;
  }
  const std::size_t count = std::min({out.size(), input_.size(), max_read_chunk});
  std::copy_n(input_.begin(), count, out.begin());
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(count));
  return count;
}

void FakeTransport::write(ByteView data) {
  written_.insert(written_.end(), data.begin(), data.end());
  events_.push_back("write " + std::to_string(data.size()));
  if (responder_) responder_(data);
}

void FakeTransport::drain_input() {
  events_.push_back("drain");
  if (drain_discards) input_.clear();
}

void FakeTransport::set_baud(std::uint32_t baud) {
  baud_ = baud;
  events_.push_back("baud " + std::to_string(baud));
}

bool FakeTransport::set_control_lines(transport::ControlLines lines) {
  if (!control_lines_supported) return false;
  lines_.push_back(lines);
  std::string text = "lines";
  if (lines.dtr) text += std::string(" dtr=") + (*lines.dtr ? "1" : "0");
  if (lines.rts) text += std::string(" rts=") + (*lines.rts ? "1" : "0");
  events_.push_back(text);
  return true;
}

}  // namespace espfab::test
