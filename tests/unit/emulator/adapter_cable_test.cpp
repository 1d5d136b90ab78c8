// The fixture's USB-UART adapter and cable as fault knobs (docs/emulator.md, "Adapter and cable"):
// an adapter that cannot run above its maximum, and a cable that damages one byte in every K in
// both directions above a rate, deterministically.
#include <gtest/gtest.h>

#include "emulator/factory_test_faults.hpp"
#include "emulator/rfc2217.hpp"
#include "emulator/slip.hpp"
#include "emulator/virtual_device.hpp"
#include "loader_test_client.hpp"
#include "support/expect_error.hpp"

namespace espfab::emulator {
namespace {

using test::request;
using test::words;

constexpr std::uint32_t kDram = 0x3FC88000;

DeviceConfig device_with(std::string_view knobs) {
  DeviceConfig config;
  config.flash_size = 0x400000;
  config.known_stubs = test::test_stubs();
  config.faults = parse_device_faults(knobs);
  return config;
}

std::vector<Bytes> frames_of(ByteView wire) {
  SlipDecoder decoder;
  std::vector<Bytes> frames;
  decoder.feed(wire, frames);
  return frames;
}

// The host's side of a device on a link without a rate (socket://, pty): the adapter follows the
// chip up to its maximum.
class Host {
 public:
  explicit Host(VirtualDevice& device) : device_(device) {}
  Bytes wire(Opcode op, ByteView data, std::uint32_t sum = 0) {
    Bytes out = device_.on_host_bytes(slip_encode(request(op, data, sum)));
    for (const auto& event : device_.take_events()) {
      if (event.kind == LoaderEvent::Kind::BaudChange) device_.set_baud(event.value);
    }
    return out;
  }
  std::vector<Bytes> send(Opcode op, ByteView data, std::uint32_t sum = 0) { return frames_of(wire(op, data, sum)); }
  void sync() { ASSERT_FALSE(send(Opcode::Sync, test::sync_payload()).empty()); }
  void change_baud(std::uint32_t baud) { ASSERT_EQ(send(Opcode::ChangeBaudrate, words({baud, 0})).size(), 1u); }

 private:
  VirtualDevice& device_;
};

TEST(AdapterCableKnobs, ParseWithDefaultsAndRefuseBadValues) {
  const auto faults = parse_device_faults("adapter_max_baud=2000000,corrupt_above_baud=1500000");
  EXPECT_EQ(faults.adapter_max_baud, 2000000u);
  EXPECT_EQ(faults.corrupt_above_baud, 1500000u);
  EXPECT_EQ(faults.corrupt_every, DeviceFaults::kDefaultCorruptEvery);
  EXPECT_EQ(parse_device_faults("corrupt_above_baud=921600,corrupt_every=10").corrupt_every, 10u);
  EXPECT_FALSE(parse_device_faults("no_psram").adapter_max_baud.has_value());
  for (const char* bad : {"adapter_max_baud=fast", "adapter_max_baud=300", "corrupt_above_baud=", "corrupt_every=0"}) {
    espfab::test::expect_error<BadInputError>([&] { parse_device_faults(bad); }, "emulator.bad_fault");
  }
  EXPECT_EQ(parse_baud_knob("3000000", "--adapter-max-baud"), 3000000u);
}

TEST(AdapterCableKnobs, Rfc2217SetBaudrateAboveTheAdapterMaximumAnswersTheRateItRuns) {
  constexpr std::uint8_t kIac = 255, kSb = 250, kSe = 240, kComPort = 44;
  Rfc2217Session session;
  session.set_max_baud(2000000);
  Rfc2217Session::Output out;
  // SET-BAUDRATE 3000000 (0x002DC6C0): the server's answer (command + 100) carries 2000000 (0x001E8480).
  session.feed(Bytes{kIac, kSb, kComPort, 1, 0x00, 0x2D, 0xC6, 0xC0, kIac, kSe}, out);
  EXPECT_EQ(out.reply, Bytes({kIac, kSb, kComPort, 101, 0x00, 0x1E, 0x84, 0x80, kIac, kSe}));
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].value, 2000000u);
  EXPECT_EQ(session.baud(), 2000000u);
  // At or below the maximum the rate is taken as asked.
  Rfc2217Session::Output below;
  session.feed(Bytes{kIac, kSb, kComPort, 1, 0x00, 0x1E, 0x84, 0x80, kIac, kSe}, below);
  EXPECT_EQ(below.events.at(0).value, 2000000u);
}

TEST(AdapterCableKnobs, AChipSwitchedAboveTheAdapterMaximumIsUnreachableUntilItsNextReset) {
  VirtualDevice device(device_with("adapter_max_baud=2000000"));
  Host host(device);
  host.sync();
  host.change_baud(3000000);  // answered at the old rate, then the chip is where the adapter is not
  EXPECT_EQ(device.adapter_baud(), 2000000u);
  EXPECT_TRUE(host.send(Opcode::ReadReg, words({kDram})).empty());
  // A reset puts the chip back at 115200, where the adapter follows.
  device.reset_into_download();
  host.sync();
  host.change_baud(2000000);
  EXPECT_EQ(host.send(Opcode::ReadReg, words({kDram})).size(), 1u);
}

TEST(AdapterCableKnobs, OverRfc2217TheLineRateIsCappedToo) {
  VirtualDevice device(device_with("adapter_max_baud=1500000"));
  device.set_line_baud(3000000);  // what a host that ignored the server's answer believes
  EXPECT_EQ(device.adapter_baud(), 1500000u);
}

TEST(AdapterCableKnobs, TheCableDamagesOneByteInKBothWaysAboveItsThresholdOnly) {
  VirtualDevice device(device_with("corrupt_above_baud=1500000,corrupt_every=64"));
  Host host(device);
  host.sync();
  host.change_baud(1500000);  // at the threshold: clean
  const Bytes block(1024, 0x11);
  const auto [begin, begin_sum] = std::pair{words({1024, 1, 1024, kDram}), 0u};
  ASSERT_EQ(host.send(Opcode::MemBegin, begin, begin_sum).size(), 1u);
  const auto [data, sum] = test::data_block(0, block);
  const auto clean = host.send(Opcode::MemData, data, sum);
  ASSERT_EQ(clean.size(), 1u);
  ASSERT_GT(clean[0].size(), 8u);
  EXPECT_EQ(clean[0][8], 0x00) << "status 0: the ROM took the block";
  EXPECT_EQ(device.corrupted_to_chip() + device.corrupted_to_host(), 0u);

  host.change_baud(2000000);  // above: host to chip damaged, the checksum (or the framing) catches it
  host.send(Opcode::MemBegin, begin, begin_sum);
  const auto damaged = host.send(Opcode::MemData, data, sum);
  EXPECT_GT(device.corrupted_to_chip(), 0u);
  EXPECT_NE(damaged, clean) << "a damaged block must not be taken as the clean one was";

  // Chip to host: 64 register reads carry replies of 14+ bytes; some come back damaged.
  const std::uint64_t before = device.corrupted_to_host();
  for (int i = 0; i < 64; ++i) host.wire(Opcode::ReadReg, words({kDram}));
  EXPECT_GE(device.corrupted_to_host() - before, 64u * 12 / 64 - 1);
}

TEST(AdapterCableKnobs, TheDamageIsTheSameOnEveryRun) {
  auto run = [] {
    VirtualDevice device(device_with("corrupt_above_baud=921600,corrupt_every=32"));
    Host host(device);
    host.sync();
    host.change_baud(2000000);
    Bytes all;
    for (int i = 0; i < 16; ++i) {
      const Bytes wire = host.wire(Opcode::ReadReg, words({kDram + 4u * static_cast<std::uint32_t>(i)}));
      all.insert(all.end(), wire.begin(), wire.end());
    }
    return all;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace espfab::emulator
