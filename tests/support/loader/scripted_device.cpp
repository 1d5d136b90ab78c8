#include "support/loader/scripted_device.hpp"

#include <algorithm>
#include <cstring>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::test {

namespace {

constexpr std::uint32_t kSpiCmd = 0x60002000, kSpiUser2 = 0x60002020, kSpiW0 = 0x60002058;
constexpr std::uint8_t kOhai[] = {'O', 'H', 'A', 'I'};

std::uint32_t word(const Bytes& data, std::size_t index) { return load_le32(data, index * 4); }

}  // namespace

ScriptedDevice::ScriptedDevice(FakeTransport& link, std::size_t flash_size) : flash(flash_size, 0xFF), link_(&link) {
  registers[0x60007044] = 0xA1001122;
  registers[0x60007048] = 0x00007CDF;
  link.set_responder([this](ByteView bytes) { on_bytes(bytes); });
}

ScriptedDevice::~ScriptedDevice() {
  if (inflater_) inflateEnd(inflater_.get());
}

std::vector<std::uint8_t> ScriptedDevice::opcodes() const {
  std::vector<std::uint8_t> out;
  for (const auto& request : requests) out.push_back(request.opcode);
  return out;
}

std::size_t ScriptedDevice::count(std::uint8_t opcode) const {
  return static_cast<std::size_t>(
      std::count_if(requests.begin(), requests.end(), [&](const auto& r) { return r.opcode == opcode; }));
}

void ScriptedDevice::on_bytes(ByteView bytes) {
  for (const std::uint8_t byte : bytes) {
    if (!in_frame_) {
      if (byte == 0xC0) {
        in_frame_ = true;
        current_.clear();
      }
      continue;
    }
    if (escape_) {
      current_.push_back(byte == 0xDC ? 0xC0 : 0xDB);
      escape_ = false;
    } else if (byte == 0xDB) {
      escape_ = true;
    } else if (byte == 0xC0) {
      if (current_.empty()) continue;
      in_frame_ = false;
      on_frame(current_);
    } else {
      current_.push_back(byte);
    }
  }
}

void ScriptedDevice::send_frame(ByteView payload) {
  Bytes out{0xC0};
  for (const std::uint8_t byte : payload) {
    if (byte == 0xC0) {
      out.insert(out.end(), {0xDB, 0xDC});
    } else if (byte == 0xDB) {
      out.insert(out.end(), {0xDB, 0xDD});
    } else {
      out.push_back(byte);
    }
  }
  out.push_back(0xC0);
  link_->push_input(out);
}

void ScriptedDevice::reply(std::uint8_t opcode, std::uint32_t value, ByteView result, std::uint8_t error) {
  if (drop_replies > 0) {
    --drop_replies;
    return;
  }
  Bytes packet{0x01, opcode, 0, 0};
  append_le32(packet, value);
  packet.insert(packet.end(), result.begin(), result.end());
  if (stub) {
    packet.insert(packet.end(), {error, 0});
  } else {
    packet.insert(packet.end(), {static_cast<std::uint8_t>(error != 0 ? 1 : 0), error, 0, 0});
  }
  store_le16(packet, 2, static_cast<std::uint16_t>(packet.size() - 8));
  if (corrupt_replies > 0) {
    --corrupt_replies;
    link_->push_input(Bytes{0xC0, 0x01, 0xDB, 0x42, 0x00, 0xC0});  // DB 42: a broken escape
    return;
  }
  send_frame(packet);
}

void ScriptedDevice::on_frame(const Bytes& frame) {
  if (reading_) {
    if (frame.size() == 4) handle_read_flash_ack(load_le32(frame, 0));
    return;
  }
  if (frame.size() < 8 || frame[0] != 0x00) return;
  DeviceRequest request{frame[1], load_le32(frame, 4), Bytes(frame.begin() + 8, frame.end())};
  requests.push_back(request);
  handle(request);
}

void ScriptedDevice::write_register(std::uint32_t address, std::uint32_t value, std::uint32_t mask) {
  if (address == 0x60000080) return;  // UART_DATE_REG: esptool's delay record
  const std::uint32_t old = registers[address];
  registers[address] = (value & mask) | (old & ~mask);
  if (address == kSpiCmd && (registers[address] & (1u << 18)) != 0) {
    if ((registers[kSpiUser2] & 0xFF) == 0x9F) registers[kSpiW0] = flash_jedec;
    registers[address] &= ~(1u << 18);
  }
}

void ScriptedDevice::handle(const DeviceRequest& request) {
  const std::uint8_t op = request.opcode;
  const Bytes& data = request.data;
  if (fail_opcode == op && fail_count > 0) {
    --fail_count;
    reply(op, 0, {}, fail_code);
    return;
  }
  auto checksum_ok = [&] {
    std::uint8_t sum = 0xEF;
    for (std::size_t i = 16; i < data.size(); ++i) sum ^= data[i];
    return sum == (request.checksum & 0xFF);
  };
  switch (op) {
    case 0x08: {  // SYNC
      if (ignore_syncs > 0) {
        --ignore_syncs;
        return;
      }
      for (unsigned i = 0; i < sync_replies; ++i) reply(op, stub ? 0 : rom_sync_value, {});
      return;
    }
    case 0x0A:  // READ_REG
      reply(op, word(data, 0) == 0x40001000 ? magic : registers[word(data, 0)], {});
      return;
    case 0x09:  // WRITE_REG
      for (std::size_t i = 0; i + 16 <= data.size(); i += 16)
        write_register(load_le32(data, i), load_le32(data, i + 4), load_le32(data, i + 8));
      reply(op, 0, {});
      return;
    case 0x14: {  // GET_SECURITY_INFO
      if (!security_info_supported) {
        reply(op, 0, {}, 0x05);
        return;
      }
      Bytes info(20, 0);
      store_le32(info, 12, chip_id);
      reply(op, 0, info);
      return;
    }
    case 0x0D:
    case 0x0B: reply(op, 0, {}); return;  // SPI_ATTACH, SPI_SET_PARAMS
    case 0x0F:
      baud_requested = word(data, 0);
      reply(op, 0, {});
      return;
    case 0x05:  // MEM_BEGIN
      mem_expected_ = word(data, 0);
      mem_received_ = 0;
      reply(op, 0, {});
      return;
    case 0x07:  // MEM_DATA
      if (!checksum_ok()) {
        reply(op, 0, {}, stub ? 0xC1 : 0x07);
        return;
      }
      mem_received_ += word(data, 0);
      reply(op, 0, {});
      return;
    case 0x06:  // MEM_END
      reply(op, 0, {});
      if (word(data, 1) != 0) {
        stub_uploaded = true;
        stub = true;
        if (greet_after_mem_end) send_frame(ByteView(kOhai, 4));
      }
      return;
    case 0x02:
    case 0x10: {  // FLASH_BEGIN, FLASH_DEFL_BEGIN
      writing_ = true;
      compressed_ = op == 0x10;
      write_size_ = word(data, 0);
      block_size_ = word(data, 2);
      write_offset_ = word(data, 3);
      written_ = 0;
      if (inflater_) inflateEnd(inflater_.get());
      inflater_ = std::make_unique<z_stream>();
      std::memset(inflater_.get(), 0, sizeof(z_stream));
      inflateInit(inflater_.get());
      reply(op, 0, {});
      return;
    }
    case 0x03:
    case 0x11:
    case 0xD4: {  // FLASH_DATA, FLASH_DEFL_DATA, FLASH_ENCRYPT_DATA
      const std::uint32_t seq = word(data, 1);
      if (drop_link_at_seq == seq) {
        drop_link_at_seq.reset();
        link_->hang_up_when_empty = true;
        return;
      }
      if (!writing_) {
        reply(op, 0, {}, stub ? 0xC6 : 0x05);
        return;
      }
      if (!checksum_ok()) {
        reply(op, 0, {}, stub ? 0xC1 : 0x07);
        return;
      }
      const ByteView payload = ByteView(data).subspan(16);
      if (op == 0x11) {
        Bytes out(64 * 1024);
        inflater_->next_in = const_cast<Bytef*>(payload.data());
        inflater_->avail_in = static_cast<uInt>(payload.size());
        do {
          inflater_->next_out = out.data();
          inflater_->avail_out = static_cast<uInt>(out.size());
          const int rc = inflate(inflater_.get(), Z_NO_FLUSH);
          if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            reply(op, 0, {}, stub ? 0xC7 : 0x0B);
            return;
          }
          const std::size_t produced = out.size() - inflater_->avail_out;
          std::copy_n(out.begin(), produced, flash.begin() + write_offset_ + written_);
          written_ += static_cast<std::uint32_t>(produced);
        } while (inflater_->avail_out == 0);
      } else {
        const std::uint32_t at = stub ? written_ : seq * block_size_;
        std::size_t count = payload.size();
        if (stub) count = std::min<std::size_t>(count, write_size_ - written_);
        std::copy_n(payload.begin(), count, flash.begin() + write_offset_ + at);
        written_ = at + static_cast<std::uint32_t>(count);
      }
      reply(op, 0, {});
      return;
    }
    case 0x04:
    case 0x12:  // FLASH_END, FLASH_DEFL_END
      writing_ = false;
      reply(op, 0, {});
      if (stub && word(data, 0) == 0) stub = false;  // soft reset back into the ROM
      return;
    case 0x13: {  // SPI_FLASH_MD5
      const auto digest = crypto::md5(ByteView(flash).subspan(word(data, 0), word(data, 1)));
      if (stub) {
        reply(op, 0, digest);
      } else {
        const std::string hex = to_hex(digest);
        reply(op, 0, ByteView(reinterpret_cast<const std::uint8_t*>(hex.data()), hex.size()));
      }
      return;
    }
    case 0x0E: {  // READ_FLASH_SLOW
      if (stub) {
        reply(op, 0, {}, 0xFF);
        return;
      }
      Bytes chunk(64, 0);
      const std::uint32_t offset = word(data, 0);
      std::copy_n(flash.begin() + offset, std::min<std::size_t>(64, flash.size() - offset), chunk.begin());
      reply(op, 0, chunk);
      return;
    }
    case 0xD0:
    case 0xD1:
    case 0xD2: {
      if (!stub) {
        Bytes packet{0x01, 0x00, 2, 0, 0, 0, 0, 0, 0x01, 0x05};  // unsupported: other opcode, [01 05]
        send_frame(packet);
        return;
      }
      if (op == 0xD0) {
        std::fill(flash.begin(), flash.end(), 0xFF);
      } else if (op == 0xD1) {
        const std::uint32_t offset = word(data, 0), size = word(data, 1);
        if (offset % 4096 != 0 || size % 4096 != 0) {
          reply(op, 0, {}, 0x32);
          return;
        }
        std::fill_n(flash.begin() + offset, size, 0xFF);
      } else {
        read_offset_ = word(data, 0);
        read_size_ = word(data, 1);
        read_packet_ = word(data, 2);
        read_window_ = word(data, 3);
        read_sent_ = 0;
        reply(op, 0, {});
        reading_ = true;
        push_read_packets();
        return;
      }
      reply(op, 0, {});
      return;
    }
    default: reply(op, 0, {}, stub ? 0xFF : 0x05); return;
  }
}

void ScriptedDevice::push_read_packets() {
  const std::uint32_t acked = read_flash_acks.empty() ? 0 : read_flash_acks.back();
  while (read_sent_ < read_size_ && (read_sent_ - acked + read_packet_ - 1) / read_packet_ < read_window_) {
    const std::uint32_t count = std::min(read_packet_, read_size_ - read_sent_);
    send_frame(ByteView(flash).subspan(read_offset_ + read_sent_, count));
    read_sent_ += count;
    max_unacked_seen = std::max<std::size_t>(max_unacked_seen, (read_sent_ - acked + read_packet_ - 1) / read_packet_);
  }
}

void ScriptedDevice::handle_read_flash_ack(std::uint32_t acked) {
  read_flash_acks.push_back(acked);
  if (acked >= read_size_) {
    reading_ = false;
    send_frame(crypto::md5(ByteView(flash).subspan(read_offset_, read_size_)));
    return;
  }
  push_read_packets();
}

}  // namespace espfab::test
