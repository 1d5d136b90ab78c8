#include "emulator/command_handler.hpp"

#include <algorithm>
#include <exception>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/xts_engine.hpp"
#include "util/crypto.hpp"
#include "util/log.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint8_t kSyncPattern[4] = {0x07, 0x07, 0x12, 0x20};
constexpr std::uint8_t kOhai[4] = {'O', 'H', 'A', 'I'};

std::uint32_t word(ByteView data, std::size_t index) { return load_le32(data, index * 4); }

bool sync_payload_ok(ByteView data) {
  if (data.size() != kSyncPayloadSize) return false;
  if (!std::equal(std::begin(kSyncPattern), std::end(kSyncPattern), data.begin())) return false;
  return std::all_of(data.begin() + 4, data.end(), [](std::uint8_t b) { return b == 0x55; });
}

Bytes header(Opcode op, std::size_t size, std::uint32_t value) {
  Bytes out;
  out.push_back(0x01);
  out.push_back(static_cast<std::uint8_t>(op));
  append_le16(out, static_cast<std::uint16_t>(size));
  append_le32(out, value);
  return out;
}

RomError rom_error(FlashWriter::Status status) {
  switch (status) {
    case FlashWriter::Status::Ok: return RomError::Ok;
    case FlashWriter::Status::InflateError:
    case FlashWriter::Status::TooMuchData: return RomError::DeflateError;
    case FlashWriter::Status::OutOfRange: return RomError::FlashWriteError;
    case FlashWriter::Status::NotInFlashMode:
    case FlashWriter::Status::NotEnoughData:
    case FlashWriter::Status::Unaligned:
    case FlashWriter::Status::EncryptionDisabled: return RomError::FailedToAct;
  }
  return RomError::FailedToAct;
}

StubError stub_error(FlashWriter::Status status) {
  switch (status) {
    case FlashWriter::Status::Ok: return StubError::Ok;
    case FlashWriter::Status::NotInFlashMode: return StubError::NotInFlashMode;
    case FlashWriter::Status::OutOfRange: return StubError::FailedSpiOp;
    case FlashWriter::Status::InflateError: return StubError::InflateError;
    case FlashWriter::Status::NotEnoughData: return StubError::NotEnoughData;
    case FlashWriter::Status::TooMuchData: return StubError::TooMuchData;
    case FlashWriter::Status::Unaligned:
    case FlashWriter::Status::EncryptionDisabled: return StubError::FailedSpiOp;
  }
  return StubError::FailedSpiOp;
}

std::string md5_hex(ByteView data) { return to_hex(crypto::md5(data)); }

// What the ROM still does in Secure Download Mode (Espressif's Secure Download Mode docs; esptool
// then skips the stub, register reads and MD5).
bool is_flash_operation(Opcode op) {
  switch (op) {
    case Opcode::FlashBegin:
    case Opcode::FlashData:
    case Opcode::FlashDeflBegin:
    case Opcode::FlashDeflData:
    case Opcode::FlashEncryptData:
    case Opcode::SpiFlashMd5:
    case Opcode::ReadFlashSlow:
    case Opcode::ReadFlash:
    case Opcode::EraseFlash:
    case Opcode::EraseRegion: return true;
    default: return false;
  }
}

bool allowed_in_secure_download(Opcode op) {
  switch (op) {
    case Opcode::Sync:
    case Opcode::FlashBegin:
    case Opcode::FlashData:
    case Opcode::FlashEnd:
    case Opcode::SpiSetParams:
    case Opcode::SpiAttach:
    case Opcode::ChangeBaudrate:
    case Opcode::GetSecurityInfo: return true;
    default: return false;
  }
}

}  // namespace

CommandHandler::CommandHandler(RegisterSpace& registers, EfuseController& efuse, VirtualFlash& flash,
                               std::span<const KnownStub> stubs)
    : registers_(registers), efuse_(efuse), flash_(flash), stubs_(stubs), writer_(flash) {}

void CommandHandler::reset() {
  mode_ = LoaderMode::Rom;
  secure_download_ = false;
  check_download_efuses();  // the ROM reads them at reset (the device reloads the read registers first)
  writer_.abort();
  mem_.reset();
  read_.reset();
  latched_ = StubError::Ok;
  decoder_.reset();
}

std::vector<LoaderEvent> CommandHandler::take_events() {
  std::vector<LoaderEvent> events;
  events.swap(events_);
  return events;
}

Bytes CommandHandler::on_bytes(ByteView in) {
  std::vector<Bytes> frames;
  decoder_.feed(in, frames);
  Bytes out;
  for (const Bytes& frame : frames) {
    for (const Bytes& payload : handle_frame(frame)) slip_encode_append(payload, out);
  }
  return out;
}

std::vector<Bytes> CommandHandler::handle_frame(ByteView frame) {
  std::vector<Bytes> out;
  reply_before_work_ = false;
  register_delay_ = std::chrono::microseconds(0);
  ++frames_handled_;
  if (mode_ == LoaderMode::UserCode || mode_ == LoaderMode::DownloadDisabled) return out;  // no loader
  if (read_) {
    handle_read_ack(frame, out);
    return out;
  }
  if (frame.size() < 8 || frame[0] != 0x00) return out;  // not a request: the loader ignores it
  const Request request{static_cast<Opcode>(frame[1]), load_le32(frame, 4), frame.subspan(8)};
  try {
    if (mode_ == LoaderMode::Rom) {
      handle_rom(request, out);
      check_download_efuses();
    } else {
      handle_stub(request, out);
    }
  } catch (const std::exception& error) {
    // Whatever in this device's data the model cannot handle fails this one command, as a
    // command the chip cannot carry out; the loader, the device and the process go on.
    log::get("emulator")->error("command 0x{:02x} failed inside the model: {}", frame[1], error.what());
    writer_.abort();
    out.clear();
    out.push_back(mode_ == LoaderMode::Rom ? rom_reply(request.op, RomError::FailedToAct)
                                           : stub_reply(request.op, StubError::FailedSpiOp));
  }
  return out;
}

// espefuse v4.8.1 (espefuse/efuse/esp32s3/fields.py, EspEfuses.efuse_read): "ROM loader checks
// some efuse registers after each command is completed"; a READ_CMD that loads DIS_DOWNLOAD_MODE
// or ENABLE_SECURITY_DOWNLOAD makes the next command fail and espefuse reconnects. The flasher stub
// checks nothing: it runs on until a reset.
void CommandHandler::check_download_efuses() {
  namespace efuse = chip::esp32s3_efuse;
  if (efuse_.read_field(efuse::DIS_DOWNLOAD_MODE) != 0) {
    mode_ = LoaderMode::DownloadDisabled;
    writer_.abort();
    mem_.reset();
  } else if (efuse_.read_field(efuse::ENABLE_SECURITY_DOWNLOAD) != 0) {
    secure_download_ = true;
  }
}

Bytes CommandHandler::rom_reply(Opcode op, RomError error, ByteView data, std::uint32_t value) const {
  Bytes out = header(op, data.size() + 4, value);
  out.insert(out.end(), data.begin(), data.end());
  out.push_back(error == RomError::Ok ? 0 : 1);
  out.push_back(static_cast<std::uint8_t>(error));
  out.push_back(0);
  out.push_back(0);
  return out;
}

Bytes CommandHandler::stub_reply(Opcode op, StubError error, ByteView data, std::uint32_t value,
                                 std::uint8_t status) const {
  // The stub's header size field is 2 except for MD5 (18) and security info (20, a known quirk).
  std::size_t size = 2;
  if (op == Opcode::SpiFlashMd5) size = 18;
  if (op == Opcode::GetSecurityInfo) size = kSecurityInfoSize;
  Bytes out = header(op, size, value);
  out.insert(out.end(), data.begin(), data.end());
  out.push_back(static_cast<std::uint8_t>(error));
  out.push_back(status);
  return out;
}

bool CommandHandler::data_checksum_ok(const Request& request) {
  std::uint8_t sum = kChecksumSeed;
  for (std::uint8_t byte : request.data.subspan(kDataHeaderSize)) sum = static_cast<std::uint8_t>(sum ^ byte);
  return sum == (request.checksum & 0xFF);
}

bool CommandHandler::apply_write_reg(ByteView data) {
  if (data.empty() || data.size() % 16 != 0) return false;
  for (std::size_t i = 0; i < data.size(); i += 16) {
    registers_.write_masked(load_le32(data, i), load_le32(data, i + 4), load_le32(data, i + 8));
    register_delay_ += std::chrono::microseconds(load_le32(data, i + 12));  // waited by the link model
  }
  return true;
}

// ---------------------------------------------------------------- ROM loader

void CommandHandler::handle_rom(const Request& request, std::vector<Bytes>& out) {
  const ByteView data = request.data;
  const Opcode op = request.op;
  auto reply = [&](RomError error, ByteView result = {}, std::uint32_t value = 0) {
    out.push_back(rom_reply(op, error, result, value));
  };
  if (!flash_answers() && is_flash_operation(op)) return reply(RomError::FlashReadError);
  if (secure_download_ && !allowed_in_secure_download(op)) {
    // Secure Download Mode: an unsupported command, signalled the way esptool recognises it (a
    // response with another opcode, status 1, error 0x05; docs/serial-protocol.md §7).
    out.push_back(rom_reply(Opcode{}, RomError::InvalidMessage));
    return;
  }
  switch (op) {
    case Opcode::Sync:
      if (!sync_payload_ok(data)) return reply(RomError::InvalidMessage);
      for (unsigned i = 0; i < kSyncResponses; ++i) reply(RomError::Ok, {}, kSyncResponseValue);
      return;
    case Opcode::ReadReg:
      if (data.size() != 4) return reply(RomError::InvalidMessage);
      return reply(RomError::Ok, {}, registers_.read(word(data, 0)));
    case Opcode::WriteReg: return reply(apply_write_reg(data) ? RomError::Ok : RomError::InvalidMessage);
    case Opcode::GetSecurityInfo: {
      if (!data.empty()) return reply(RomError::InvalidMessage);
      auto security = efuse_.security_info();
      security.chip_id = chip_id_;
      const Bytes info = security.serialize();
      return reply(RomError::Ok, info);
    }
    case Opcode::SpiAttach:
      if (data.size() != 4 && data.size() != 8) return reply(RomError::InvalidMessage);
      registers_.spi().attach(word(data, 0));
      return reply(RomError::Ok);
    case Opcode::SpiSetParams: return reply(data.size() == 24 ? RomError::Ok : RomError::InvalidMessage);
    case Opcode::ChangeBaudrate:
      if (data.size() != 8) return reply(RomError::InvalidMessage);
      reply(RomError::Ok);
      events_.push_back({LoaderEvent::Kind::BaudChange, word(data, 0)});
      return;
    case Opcode::FlashBegin:
    case Opcode::FlashDeflBegin: {
      if (data.size() != 16 && data.size() != 20) return reply(RomError::InvalidMessage);
      std::optional<XtsEngine> key;
      if (data.size() == 20 && word(data, 4) != 0) {
        // The 5th word asks the ROM to encrypt with the device key on the way to flash; refused
        // when DIS_DOWNLOAD_MANUAL_ENCRYPT is burned or no XTS key is there.
        key = engine_flash_key(efuse_);
        if (!key || efuse_.field(chip::esp32s3_efuse::DIS_DOWNLOAD_MANUAL_ENCRYPT) != 0) {
          return reply(RomError::FailedToAct);
        }
      }
      FlashWriter::Begin begin;
      begin.flavour = FlashWriter::Flavour::Rom;
      begin.compressed = op == Opcode::FlashDeflBegin;
      begin.size = word(data, 0);
      begin.block_size = word(data, 2);
      begin.offset = word(data, 3);
      return reply(rom_error(writer_.begin(begin, std::move(key))));
    }
    case Opcode::FlashData:
    case Opcode::FlashDeflData: {
      if (data.size() < kDataHeaderSize || word(data, 0) != data.size() - kDataHeaderSize) {
        return reply(RomError::InvalidMessage);
      }
      if (!data_checksum_ok(request)) return reply(RomError::BadChecksum);
      if (!writer_.active() || writer_.compressed() != (op == Opcode::FlashDeflData)) {
        return reply(RomError::FailedToAct);
      }
      const auto status = writer_.write(word(data, 1), data.subspan(kDataHeaderSize));
      if (status != FlashWriter::Status::Ok) writer_.abort();
      return reply(rom_error(status));
    }
    case Opcode::FlashEnd:
    case Opcode::FlashDeflEnd: {
      if (data.size() != 4) return reply(RomError::InvalidMessage);
      writer_.abort();
      reply(RomError::Ok);
      events_.push_back({LoaderEvent::Kind::ExitLoader, word(data, 0) == 0 ? 1u : 0u});
      return;
    }
    case Opcode::MemBegin:
      if (data.size() != 16) return reply(RomError::InvalidMessage);
      mem_ = MemSession{word(data, 3), word(data, 0), 0};
      return reply(RomError::Ok);
    case Opcode::MemData: {
      if (data.size() < kDataHeaderSize || word(data, 0) != data.size() - kDataHeaderSize) {
        return reply(RomError::InvalidMessage);
      }
      if (!data_checksum_ok(request)) return reply(RomError::BadChecksum);
      if (!mem_) return reply(RomError::FailedToAct);
      const auto length = static_cast<std::uint32_t>(data.size() - kDataHeaderSize);
      if (length > mem_->total - mem_->received) return reply(RomError::InvalidMessage);
      store_mem_data(data.subspan(kDataHeaderSize));
      return reply(RomError::Ok);
    }
    case Opcode::MemEnd: {
      if (data.size() != 8) return reply(RomError::InvalidMessage);
      const std::uint32_t entry = word(data, 1);
      mem_.reset();
      reply(RomError::Ok);  // mandatory, and before OHAI (docs/serial-protocol.md §4.2)
      if (entry != 0) start_code(entry, out);
      return;
    }
    case Opcode::SpiFlashMd5: {
      if (data.size() != 16) return reply(RomError::InvalidMessage);
      const std::uint32_t address = word(data, 0);
      const std::uint32_t size = word(data, 1);
      if (!flash_.in_range(address, size)) return reply(RomError::FlashReadError);
      const std::string hex = md5_hex(flash_.view(address, size));
      return reply(RomError::Ok, ByteView(reinterpret_cast<const std::uint8_t*>(hex.data()), hex.size()));
    }
    case Opcode::ReadFlashSlow: {
      if (data.size() != 8) return reply(RomError::InvalidMessage);
      const std::uint32_t address = word(data, 0);
      const std::uint32_t length = word(data, 1);
      if (length > kReadFlashSlowBlock) return reply(RomError::FlashReadLengthError);
      if (!flash_.in_range(address, kReadFlashSlowBlock)) return reply(RomError::FlashReadError);
      // The ROM always answers with a 64-byte buffer.
      return reply(RomError::Ok, flash_.view(address, kReadFlashSlowBlock));
    }
    default: return reply(RomError::InvalidMessage);  // unknown to the ROM, stub-only included
  }
}

// ---------------------------------------------------------------- flasher stub

void CommandHandler::handle_stub(const Request& request, std::vector<Bytes>& out) {
  const ByteView data = request.data;
  const Opcode op = request.op;
  auto reply = [&](StubError error, ByteView result = {}, std::uint32_t value = 0) {
    out.push_back(stub_reply(op, error, result, value));
  };
  if (data.size() > kStubMaxWriteBlock + kDataHeaderSize) {
    out.push_back(stub_reply(op, StubError::BadDataLen, {}, 0, kStubOversizeStatus));
    return;
  }
  auto expect = [&](std::size_t size) { return data.size() == size; };
  if (!flash_answers() && is_flash_operation(op)) return reply(StubError::FailedSpiOp);
  switch (op) {
    case Opcode::Sync:
      if (!expect(kSyncPayloadSize)) return reply(StubError::BadDataLen);
      for (unsigned i = 0; i < kSyncResponses; ++i) reply(StubError::Ok);
      return;
    case Opcode::ReadReg:
      if (!expect(4)) return reply(StubError::BadDataLen);
      return reply(StubError::Ok, {}, registers_.read(word(data, 0)));
    case Opcode::WriteReg: return reply(apply_write_reg(data) ? StubError::Ok : StubError::BadDataLen);
    case Opcode::GetSecurityInfo: {
      if (!expect(0)) return reply(StubError::BadDataLen);
      const Bytes info = efuse_.security_info().serialize();
      return reply(StubError::Ok, info);
    }
    case Opcode::SpiAttach:
      if (!expect(4)) return reply(StubError::BadDataLen);
      registers_.spi().attach(word(data, 0));
      return reply(StubError::Ok);
    case Opcode::SpiSetParams: return reply(expect(24) ? StubError::Ok : StubError::BadDataLen);
    case Opcode::ChangeBaudrate:
      if (!expect(8)) return reply(StubError::BadDataLen);
      reply(StubError::Ok);
      events_.push_back({LoaderEvent::Kind::BaudChange, word(data, 0)});
      return;
    case Opcode::FlashBegin:
    case Opcode::FlashDeflBegin: {
      if (expect(16) && word(data, 2) > kStubMaxWriteBlock) return reply(StubError::BadBlocksize);
      if (!expect(16)) return reply(StubError::BadDataLen);
      FlashWriter::Begin begin;
      begin.flavour = FlashWriter::Flavour::Stub;
      begin.compressed = op == Opcode::FlashDeflBegin;
      begin.size = word(data, 0);
      begin.block_size = word(data, 2);
      begin.offset = word(data, 3);
      latched_ = StubError::Ok;
      return reply(stub_error(writer_.begin(begin)));
    }
    case Opcode::FlashData:
    case Opcode::FlashDeflData:
    case Opcode::FlashEncryptData: {
      // Acknowledged first (with a length/checksum error or the error latched by the previous
      // block), written afterwards. FLASH_ENCRYPT_DATA is FLASH_DATA through the chip's XTS
      // engine (docs/serial-protocol.md §3; esptool's write_flash --encrypt with the stub).
      StubError error = StubError::NotInFlashMode;
      if (writer_.active()) {
        error = latched_;
        if (data.size() < kDataHeaderSize || word(data, 0) != data.size() - kDataHeaderSize) {
          error = StubError::BadDataLen;
        } else if (!data_checksum_ok(request)) {
          error = StubError::BadDataChecksum;
        }
      }
      reply(error);
      reply_before_work_ = true;
      if (error == StubError::Ok) {
        const ByteView block = data.subspan(kDataHeaderSize);
        const auto status =
            op == Opcode::FlashEncryptData ? write_encrypted(block) : writer_.write(word(data, 1), block);
        if (status != FlashWriter::Status::Ok) latched_ = stub_error(status);
      }
      return;
    }
    case Opcode::FlashEnd:
    case Opcode::FlashDeflEnd: {
      StubError error = latched_;
      const auto status = writer_.end();
      if (error == StubError::Ok) error = stub_error(status);
      latched_ = StubError::Ok;
      reply(error);
      if (error == StubError::Ok && data.size() >= 4 && word(data, 0) == 0) {
        reset();  // software reset: back in ROM download mode
        events_.push_back({LoaderEvent::Kind::SoftReset, 0});
      }
      return;
    }
    case Opcode::MemBegin:
      if (!expect(16)) return reply(StubError::BadDataLen);
      mem_ = MemSession{word(data, 3), word(data, 0), 0};
      return reply(StubError::Ok);
    case Opcode::MemData: {
      if (!mem_) return reply(StubError::NotInFlashMode);
      if (data.size() < kDataHeaderSize || word(data, 0) != data.size() - kDataHeaderSize) {
        return reply(StubError::BadDataLen);
      }
      const auto length = static_cast<std::uint32_t>(data.size() - kDataHeaderSize);
      if (length % 4 != 0 || length > mem_->total - mem_->received) return reply(StubError::BadDataLen);
      if (!data_checksum_ok(request)) return reply(StubError::BadDataChecksum);
      store_mem_data(data.subspan(kDataHeaderSize));
      return reply(StubError::Ok);
    }
    case Opcode::MemEnd: {
      if (!expect(8)) return reply(StubError::BadDataLen);
      const bool complete = mem_ && mem_->received == mem_->total;
      const bool began = mem_.has_value();
      mem_.reset();
      reply(!began ? StubError::NotInFlashMode : complete ? StubError::Ok : StubError::NotEnoughData);
      // The stub jumps to a non-zero entry after its reply, as the ROM does (stub_flasher.c
      // @v4.7.0, cmd_loop's post-response switch).
      if (word(data, 1) != 0) start_code(word(data, 1), out);
      return;
    }
    case Opcode::SpiFlashMd5: {
      if (!expect(16)) return reply(StubError::BadDataLen);
      const std::uint32_t address = word(data, 0);
      const std::uint32_t size = word(data, 1);
      if (!flash_.in_range(address, size)) return reply(StubError::Md5ReadFailed);
      const auto digest = crypto::md5(flash_.view(address, size));
      return reply(StubError::Ok, digest);
    }
    case Opcode::EraseFlash:
      if (!expect(0)) return reply(StubError::BadDataLen);
      flash_.erase_all();
      return reply(StubError::Ok);
    case Opcode::EraseRegion: {
      if (!expect(8)) return reply(StubError::BadDataLen);
      const std::uint32_t address = word(data, 0);
      const std::uint32_t size = word(data, 1);
      if (address % kFlashSectorSize != 0 || size % kFlashSectorSize != 0 || !flash_.in_range(address, size)) {
        return reply(StubError::EraseFailed);
      }
      flash_.erase(address, size);
      return reply(StubError::Ok);
    }
    case Opcode::ReadFlash: {
      if (!expect(16)) return reply(StubError::BadDataLen);
      ReadStream stream{word(data, 0), word(data, 1), word(data, 2), std::max<std::uint32_t>(1, word(data, 3)), 0, 0};
      if (!flash_.in_range(stream.offset, stream.length)) return reply(StubError::FailedSpiOp);
      reply(StubError::Ok);
      if (stream.packet_size == 0 || stream.packet_size > kReadFlashMaxPacket) return;  // the stub sends nothing
      read_ = stream;
      pump_read(out);
      return;
    }
    case Opcode::RunUserCode:
      reset();
      events_.push_back({LoaderEvent::Kind::ExitLoader, 0});
      return;  // no response
    default: return reply(StubError::CmdNotImplemented);
  }
}

void CommandHandler::store_mem_data(ByteView payload) {
  registers_.write_block(mem_->address + mem_->received, payload);
  mem_->received += static_cast<std::uint32_t>(payload.size());
}

void CommandHandler::start_code(std::uint32_t entry, std::vector<Bytes>& out) {
  read_.reset();
  writer_.abort();
  if (const KnownStub* stub = recognise_stub(stubs_, registers_.ram(), entry)) {
    log::get("emulator")->debug("MEM_END 0x{:08x}: {} starts", entry, stub->name);
    // The stub attaches the flash itself at start-up, with the eFuse pin configuration
    // (the default pins on the modelled module).
    registers_.spi().attach(SpiFlashController::kDefaultPins);
    out.emplace_back(std::begin(kOhai), std::end(kOhai));
    mode_ = LoaderMode::Stub;
    latched_ = StubError::Ok;
    return;
  }
  log::get("emulator")->info("MEM_END 0x{:08x}: no known flasher stub in RAM; the chip runs unknown code", entry);
  mode_ = LoaderMode::UserCode;
  events_.push_back({LoaderEvent::Kind::RunCode, entry});
}

// The key is the one the engine holds (the XTS key block(s), all zeros without one); with
// DIS_DOWNLOAD_MANUAL_ENCRYPT burned the engine does not encrypt in download mode and the write
// fails, as the ROM's encrypted FLASH_BEGIN is refused.
FlashWriter::Status CommandHandler::write_encrypted(ByteView block) {
  if (efuse_.field(chip::esp32s3_efuse::DIS_DOWNLOAD_MANUAL_ENCRYPT) != 0) {
    return writer_.write_encrypted(block, nullptr);
  }
  auto engine = engine_flash_key(efuse_);
  if (!engine) engine.emplace(XtsEngine::zero_key());
  return writer_.write_encrypted(block, &*engine);
}

void CommandHandler::pump_read(std::vector<Bytes>& out) {
  ReadStream& s = *read_;
  while (s.sent < s.length && (s.sent - s.acked + s.packet_size - 1) / s.packet_size < s.max_in_flight) {
    const std::uint32_t chunk = std::min(s.packet_size, s.length - s.sent);
    const ByteView bytes = flash_.view(s.offset + s.sent, chunk);
    out.emplace_back(bytes.begin(), bytes.end());
    s.sent += chunk;
  }
  if (s.length == 0 || s.acked >= s.length) {
    const auto digest = crypto::md5(flash_.view(s.offset, s.length));
    out.emplace_back(digest.begin(), digest.end());
    read_.reset();
  }
}

void CommandHandler::handle_read_ack(ByteView frame, std::vector<Bytes>& out) {
  if (frame.size() != 4) {
    // Not an ack: the host gave up on the stream. Drop it and take the frame as a command.
    read_.reset();
    for (Bytes& payload : handle_frame(frame)) out.push_back(std::move(payload));
    return;
  }
  read_->acked = std::max(read_->acked, std::min(load_le32(frame, 0), read_->sent));
  pump_read(out);
}

}  // namespace espfab::emulator
