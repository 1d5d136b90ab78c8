#include "loader/slip.hpp"

namespace espfab::loader {

std::size_t slip_encoded_size(ByteView payload) {
  std::size_t size = 2 + payload.size();
  for (const std::uint8_t byte : payload) size += (byte == kSlipEnd || byte == kSlipEsc) ? 1 : 0;
  return size;
}

void slip_encode_into(ByteView payload, Bytes& out) {
  // Written through a pointer into room for the worst case (every byte escaped), then trimmed: a
  // flash block is 16 KiB and this runs for every one of them.
  const std::size_t start = out.size();
  out.resize(start + 2 + 2 * payload.size());
  std::uint8_t* to = out.data() + start;
  *to++ = kSlipEnd;
  for (const std::uint8_t byte : payload) {
    if (byte == kSlipEsc) {
      *to++ = kSlipEsc;
      *to++ = kSlipEscEsc;
    } else if (byte == kSlipEnd) {
      *to++ = kSlipEsc;
      *to++ = kSlipEscEnd;
    } else {
      *to++ = byte;
    }
  }
  *to++ = kSlipEnd;
  out.resize(static_cast<std::size_t>(to - out.data()));
}

Bytes slip_encode(ByteView payload) {
  Bytes out;
  slip_encode_into(payload, out);
  return out;
}

void SlipDecoder::feed(ByteView bytes) {
  for (const std::uint8_t byte : bytes) {
    switch (state_) {
      case State::Outside:
        if (byte == kSlipEnd) {
          state_ = State::Inside;
          current_.clear();
          corrupt_ = false;
        } else {
          if (noise_.size() >= kMaxNoise) noise_.erase(0, noise_.size() - kMaxNoise + 1);
          noise_.push_back(static_cast<char>(byte));
        }
        break;
      case State::Inside:
        if (byte == kSlipEnd) {
          if (current_.empty() && !corrupt_) break;  // C0 C0: an empty frame or a shared delimiter
          if (corrupt_) {
            ++dropped_;
          } else {
            frames_.push_back(std::move(current_));
          }
          current_ = Bytes{};
          corrupt_ = false;
          state_ = State::Outside;
        } else if (byte == kSlipEsc) {
          state_ = State::Escape;
        } else if (current_.size() < kMaxFrame) {
          current_.push_back(byte);
        } else {
          corrupt_ = true;
        }
        break;
      case State::Escape:
        if (byte == kSlipEscEnd) {
          current_.push_back(kSlipEnd);
        } else if (byte == kSlipEscEsc) {
          current_.push_back(kSlipEsc);
        } else if (byte == kSlipEnd) {
          // DB C0: the frame ends broken.
          ++dropped_;
          current_.clear();
          corrupt_ = false;
          state_ = State::Outside;
          break;
        } else {
          corrupt_ = true;
        }
        state_ = State::Inside;
        break;
    }
  }
}

std::optional<Bytes> SlipDecoder::pop_frame() {
  if (frames_.empty()) return std::nullopt;
  Bytes frame = std::move(frames_.front());
  frames_.pop_front();
  return frame;
}

void SlipDecoder::reset() {
  state_ = State::Outside;
  corrupt_ = false;
  current_.clear();
  frames_.clear();
  noise_.clear();
}

std::string SlipDecoder::take_noise() { return std::exchange(noise_, std::string{}); }

}  // namespace espfab::loader
