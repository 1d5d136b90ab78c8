// Test-only host side of the loader protocol, written here from the spec (never src/loader):
// builds request payloads and splits response payloads, against the in-process CommandHandler.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emulator/command_handler.hpp"
#include "emulator/known_stubs.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::emulator::test {

// A made-up flasher stub the unit tests' devices know (the published stubs are not part of espfab;
// integration and e2e tests upload esptool-js's real one): the shape of esptool v4.8.1's stub.
inline constexpr std::uint32_t kTestStubEntry = 0x40378A80;
inline constexpr std::uint32_t kTestStubText = 0x40378000;
inline constexpr std::uint32_t kTestStubData = 0x3FCB2BFC;
inline const Bytes& test_stub_text() {
  static const Bytes text(5292, 0xA5);
  return text;
}
inline const Bytes& test_stub_data() {
  static const Bytes data(252, 0x5A);
  return data;
}
inline std::span<const KnownStub> test_stubs() {
  static const std::string text_sha = to_hex(crypto::sha256(test_stub_text()));
  static const std::string data_sha = to_hex(crypto::sha256(test_stub_data()));
  static const std::array<KnownStub, 1> stubs{
      {{"unit-test stub", kTestStubEntry, kTestStubText, 5292, text_sha, kTestStubData, 252, data_sha}}};
  return stubs;
}

struct Reply {
  std::uint8_t op = 0;
  std::uint32_t value = 0;
  Bytes data;  // result bytes followed by the status trailer
};

inline Bytes request(Opcode op, ByteView data, std::uint32_t checksum = 0) {
  Bytes out{0x00, static_cast<std::uint8_t>(op)};
  append_le16(out, static_cast<std::uint16_t>(data.size()));
  append_le32(out, checksum);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  for (std::uint32_t v : values) append_le32(out, v);
  return out;
}

inline std::uint32_t checksum(ByteView data) {
  std::uint8_t sum = 0xEF;
  for (std::uint8_t b : data) sum = static_cast<std::uint8_t>(sum ^ b);
  return sum;
}

// _DATA command payload: length, seq, 0, 0, data; returns (payload, checksum).
inline std::pair<Bytes, std::uint32_t> data_block(std::uint32_t seq, ByteView data) {
  Bytes out = words({static_cast<std::uint32_t>(data.size()), seq, 0, 0});
  out.insert(out.end(), data.begin(), data.end());
  return {out, checksum(data)};
}

inline Bytes sync_payload() {
  Bytes out(36, 0x55);
  out[0] = 0x07;
  out[1] = 0x07;
  out[2] = 0x12;
  out[3] = 0x20;
  return out;
}

// Block `index` of `block` bytes (the last one short).
inline Bytes chunk(const Bytes& data, std::size_t index, std::size_t block) {
  const std::size_t start = index * block;
  const std::size_t end = std::min(data.size(), start + block);
  return Bytes(data.begin() + static_cast<std::ptrdiff_t>(start), data.begin() + static_cast<std::ptrdiff_t>(end));
}

inline Reply parse(const Bytes& payload) {
  Reply r;
  EXPECT_GE(payload.size(), 8u);
  if (payload.size() < 8) return r;
  EXPECT_EQ(payload[0], 0x01);
  r.op = payload[1];
  r.value = load_le32(payload, 4);
  r.data.assign(payload.begin() + 8, payload.end());
  return r;
}

class Host {
 public:
  explicit Host(CommandHandler& handler) : handler_(handler) {}

  std::vector<Bytes> raw(Opcode op, ByteView data, std::uint32_t checksum = 0) {
    return handler_.handle_frame(request(op, data, checksum));
  }
  // Exactly one reply expected.
  Reply call(Opcode op, ByteView data = {}, std::uint32_t checksum = 0) {
    auto frames = raw(op, data, checksum);
    EXPECT_EQ(frames.size(), 1u) << "opcode " << static_cast<int>(op);
    if (frames.empty()) return {};
    return parse(frames[0]);
  }
  Reply data_call(Opcode op, std::uint32_t seq, ByteView data) {
    auto [payload, sum] = data_block(seq, data);
    return call(op, payload, sum);
  }
  std::uint32_t read_reg(std::uint32_t address) { return call(Opcode::ReadReg, words({address})).value; }
  void write_reg(std::uint32_t address, std::uint32_t value, std::uint32_t mask = 0xFFFFFFFF) {
    const Reply r = call(Opcode::WriteReg, words({address, value, mask, 0}));
    ASSERT_FALSE(r.data.empty());
    ASSERT_EQ(r.data[0], 0) << "WRITE_REG " << std::hex << address;
  }
  // Upload the test stub (test_stubs()) in ROM mode, as esptool does, and start it; returns the
  // frames after the MEM_END request.
  std::vector<Bytes> run_stub(std::uint32_t entry = kTestStubEntry) {
    upload(kTestStubText, test_stub_text());
    upload(kTestStubData, test_stub_data());
    return raw(Opcode::MemEnd, words({0, entry}));
  }
  void upload(std::uint32_t address, ByteView segment) {
    const auto size = static_cast<std::uint32_t>(segment.size());
    EXPECT_EQ(call(Opcode::MemBegin, words({size, (size + 0x17FF) / 0x1800, 0x1800, address})).data,
              Bytes({0, 0, 0, 0}));
    for (std::uint32_t seq = 0; seq * 0x1800 < size; ++seq) {
      const ByteView block = segment.subspan(seq * 0x1800, std::min<std::size_t>(0x1800, size - seq * 0x1800));
      EXPECT_EQ(data_call(Opcode::MemData, seq, block).data, Bytes({0, 0, 0, 0}));
    }
  }

 private:
  CommandHandler& handler_;
};

}  // namespace espfab::emulator::test
