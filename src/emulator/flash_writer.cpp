#include "emulator/flash_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace espfab::emulator {

struct FlashWriter::Inflater {
  z_stream stream{};
  bool finished = false;
  bool failed = false;

  Inflater() {
    if (inflateInit(&stream) != Z_OK) failed = true;
  }
  ~Inflater() { inflateEnd(&stream); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  Inflater(Inflater&&) = delete;
  Inflater& operator=(Inflater&&) = delete;
};

FlashWriter::FlashWriter(VirtualFlash& flash) : flash_(flash) {}
FlashWriter::~FlashWriter() = default;

FlashWriter::Status FlashWriter::begin(const Begin& params, std::optional<XtsEngine> key) {
  abort();
  if (!flash_.in_range(params.offset, params.size)) return Status::OutOfRange;
  if (key &&
      (params.compressed || params.flavour != Flavour::Rom || params.offset % 16 != 0 || params.block_size % 16 != 0)) {
    return Status::Unaligned;
  }
  key_ = std::move(key);
  params_ = params;
  active_ = true;
  next_write_ = params.offset;
  remaining_ = params.size;
  erased_until_ = params.offset / VirtualFlash::kSectorSize * VirtualFlash::kSectorSize;
  erase_end_ = align_up(std::uint64_t{params.offset} + params.size, std::uint64_t{VirtualFlash::kSectorSize});
  // The ROM erases the whole region up front; the stub erases each sector just before it writes
  // it, so its erase time is spread over the blocks and an aborted write leaves the rest intact.
  if (params.flavour == Flavour::Rom) flash_.erase(params.offset, params.size);
  if (params.compressed) inflater_ = std::make_unique<Inflater>();
  return Status::Ok;
}

void FlashWriter::abort() {
  active_ = false;
  key_.reset();
  inflater_.reset();
  remaining_ = 0;
}

FlashWriter::Status FlashWriter::write(std::uint32_t seq, ByteView data) {
  if (!active_) return Status::NotInFlashMode;
  if (params_.compressed) return inflate_block(data);
  if (params_.flavour == Flavour::Stub) return write_sequential(data);
  // ROM: the block goes to its own slot, padding included.
  const std::uint64_t at = std::uint64_t{params_.offset} + std::uint64_t{seq} * params_.block_size;
  if (!flash_.in_range(at, data.size())) return Status::OutOfRange;
  if (key_) {
    if (data.size() % 16 != 0) return Status::Unaligned;
    Bytes cipher(data.begin(), data.end());
    if (!key_->encrypt(static_cast<std::uint32_t>(at), cipher)) return Status::Unaligned;
    flash_.program(static_cast<std::uint32_t>(at), cipher);
  } else {
    flash_.program(static_cast<std::uint32_t>(at), data);
  }
  const std::uint64_t end = at + data.size();
  const std::uint64_t limit = std::uint64_t{params_.offset} + params_.size;
  remaining_ = end >= limit ? 0 : static_cast<std::uint32_t>(limit - end);
  return Status::Ok;
}

FlashWriter::Status FlashWriter::write_sequential(ByteView data) {
  Status status = Status::Ok;
  if (data.size() > remaining_) {
    data = data.first(remaining_);  // the stub drops the padding of the last block
  }
  if (data.empty()) return status;
  if (params_.flavour == Flavour::Stub) {
    erase_ahead(std::uint64_t{next_write_} + data.size());
  }
  flash_.program(next_write_, data);
  next_write_ += static_cast<std::uint32_t>(data.size());
  remaining_ -= static_cast<std::uint32_t>(data.size());
  return status;
}

FlashWriter::Status FlashWriter::write_encrypted(ByteView data, const XtsEngine* engine) {
  if (!active_) return Status::NotInFlashMode;
  if (data.size() > remaining_) data = data.first(remaining_);
  if (data.empty()) return Status::Ok;
  erase_ahead(std::uint64_t{next_write_} + data.size());
  Status status = Status::Ok;
  Bytes cipher(data.begin(), data.end());
  if (engine == nullptr) {
    status = Status::EncryptionDisabled;
  } else if (!engine->encrypt(next_write_, cipher)) {
    status = Status::Unaligned;
  } else {
    flash_.program(next_write_, cipher);
  }
  next_write_ += static_cast<std::uint32_t>(data.size());
  remaining_ -= static_cast<std::uint32_t>(data.size());
  return status;
}

void FlashWriter::erase_ahead(std::uint64_t until) {
  constexpr std::uint32_t kSector = VirtualFlash::kSectorSize;
  constexpr std::uint32_t kBlock = VirtualFlash::kBlockSize;
  while (erased_until_ < until) {
    if (erased_until_ % kBlock == 0 && erase_end_ - erased_until_ >= kBlock) {
      flash_.erase_block(erased_until_);
      erased_until_ += kBlock;
    } else {
      flash_.erase(erased_until_, kSector);
      erased_until_ += kSector;
    }
  }
}

FlashWriter::Status FlashWriter::inflate_block(ByteView data) {
  Inflater& inf = *inflater_;
  if (inf.failed) return Status::InflateError;
  if (inf.finished) return data.empty() ? Status::Ok : Status::TooMuchData;
  std::array<std::uint8_t, 0x8000> out{};
  inf.stream.next_in = const_cast<Bytef*>(data.data());
  inf.stream.avail_in = static_cast<uInt>(data.size());
  while (true) {
    inf.stream.next_out = out.data();
    inf.stream.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&inf.stream, Z_NO_FLUSH);
    const std::size_t produced = out.size() - inf.stream.avail_out;
    if (produced > remaining_) {
      inf.failed = true;
      return Status::TooMuchData;
    }
    write_sequential(ByteView(out.data(), produced));
    if (rc == Z_STREAM_END) {
      inf.finished = true;
      if (params_.flavour == Flavour::Stub && remaining_ > 0) return Status::NotEnoughData;
      return Status::Ok;
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && inf.stream.avail_in == 0 && inf.stream.avail_out != 0)) {
      return Status::Ok;  // needs the next block
    }
    if (rc != Z_OK) {
      inf.failed = true;
      return Status::InflateError;
    }
  }
}

FlashWriter::Status FlashWriter::end() {
  if (!active_) return Status::NotInFlashMode;
  const bool missing = params_.flavour == Flavour::Stub && remaining_ > 0;
  abort();
  return missing ? Status::NotEnoughData : Status::Ok;
}

}  // namespace espfab::emulator
