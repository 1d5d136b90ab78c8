#include "emulator_link.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace espfab::test {

std::size_t EmulatorLink::read(std::span<std::uint8_t> out, Deadline) {
  if (rx_.empty()) {
    if (dropped_) throw IoError("transport.hang_up", "emulator link hung up while reading", "");
    return 0;
  }
  const std::size_t count = std::min(out.size(), rx_.size());
  std::copy_n(rx_.begin(), count, out.begin());
  rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(count));
  return count;
}

void EmulatorLink::write(ByteView data) {
  if (dropped_) throw IoError("transport.hang_up", "emulator link hung up while writing", "");
  Bytes bytes(data.begin(), data.end());
  if (drop_after_host_bytes && host_bytes + bytes.size() > *drop_after_host_bytes) {
    bytes.resize(*drop_after_host_bytes - host_bytes);
    dropped_ = true;
  }
  if (flip_bit_in_next_large_write && bytes.size() > 1000) {
    for (std::size_t i = 600; i < bytes.size() - 1; ++i) {
      const auto flipped = static_cast<std::uint8_t>(bytes[i] ^ 0x10);
      const auto is_special = [](std::uint8_t b) { return b == 0xC0 || b == 0xDB || b == 0xDC || b == 0xDD; };
      if (is_special(bytes[i]) || is_special(bytes[i - 1]) || is_special(flipped)) continue;
      bytes[i] = flipped;
      flip_bit_in_next_large_write = false;
      break;
    }
  }
  host_bytes += bytes.size();
  Bytes reply = device_->on_host_bytes(bytes);
  for (const auto& event : device_->take_events()) (void)event;  // baud changes: nothing to do in process
  if (garble_replies > 0 && reply.size() > 4) {
    --garble_replies;
    reply.insert(reply.begin() + 3, {0xDB, 0x42});  // an escape no SLIP encoder makes
  }
  rx_.insert(rx_.end(), reply.begin(), reply.end());
  if (dropped_) throw IoError("transport.hang_up", "emulator link hung up while writing", "");
}

bool EmulatorLink::set_control_lines(transport::ControlLines lines) {
  const bool was_in_reset = rts_;
  if (lines.dtr) dtr_ = *lines.dtr;
  if (lines.rts) rts_ = *lines.rts;
  if (was_in_reset && !rts_) {
    // EN released: IO0 low (DTR asserted) enters download mode, high boots the app.
    const Bytes output = dtr_ ? device_->reset_into_download() : device_->reset_normal_boot();
    if (dtr_) {
      ++resets_into_download;
    } else {
      ++normal_boots;
    }
    rx_.insert(rx_.end(), output.begin(), output.end());
  }
  return true;
}

}  // namespace espfab::test
