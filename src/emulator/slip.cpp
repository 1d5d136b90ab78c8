#include "emulator/slip.hpp"

namespace espfab::emulator {

void slip_encode_append(ByteView payload, Bytes& out) {
  out.reserve(out.size() + payload.size() + payload.size() / 16 + 2);
  out.push_back(kSlipEnd);
  for (std::uint8_t byte : payload) {
    if (byte == kSlipEnd) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEnd);
    } else if (byte == kSlipEsc) {
      out.push_back(kSlipEsc);
      out.push_back(kSlipEscEsc);
    } else {
      out.push_back(byte);
    }
  }
  out.push_back(kSlipEnd);
}

Bytes slip_encode(ByteView payload) {
  Bytes out;
  slip_encode_append(payload, out);
  return out;
}

void SlipDecoder::reset() {
  current_.clear();
  in_frame_ = false;
  escape_ = false;
  overflow_ = false;
}

void SlipDecoder::feed(ByteView bytes, std::vector<Bytes>& frames) {
  for (std::uint8_t byte : bytes) {
    if (!in_frame_) {
      if (byte == kSlipEnd) in_frame_ = true;
      continue;  // noise outside a frame (boot text, line glitches) is ignored
    }
    if (byte == kSlipEnd) {
      if (current_.empty() && !overflow_) continue;  // C0 C0: the second one opens the frame
      if (overflow_) {
        ++dropped_frames_;
      } else {
        frames.push_back(std::move(current_));
      }
      current_.clear();
      in_frame_ = false;
      escape_ = false;
      overflow_ = false;
      continue;
    }
    std::uint8_t value = byte;
    if (escape_) {
      escape_ = false;
      if (byte == kSlipEscEnd) {
        value = kSlipEnd;
      } else if (byte == kSlipEscEsc) {
        value = kSlipEsc;
      }
      // any other byte after DB is taken literally, as the ROM's decoder does
    } else if (byte == kSlipEsc) {
      escape_ = true;
      continue;
    }
    if (current_.size() >= kMaxFrame) {
      overflow_ = true;
      current_.clear();
    }
    if (!overflow_) current_.push_back(value);
  }
}

}  // namespace espfab::emulator
