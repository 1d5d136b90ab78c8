// One device's line driven with made-up time points: when requests reach the chip and when its
// replies have left the TX line, at the current baud, for ROM and stub flash writes.
#include "emulator/device_link.hpp"

#include <gtest/gtest.h>

#include "emulator/slip.hpp"
#include "loader_test_client.hpp"

namespace espfab::emulator {
namespace {

using namespace std::chrono_literals;
using test::data_block;
using test::request;
using test::words;
using TimePoint = DeviceLink::TimePoint;

struct TimedFrame {
  TimePoint at;
  Bytes payload;
};

// Durations are rounded to nanoseconds per slice of a frame; a microsecond covers the rounding.
::testing::AssertionResult same_time(TimePoint actual, TimePoint expected) {
  const auto diff = actual > expected ? actual - expected : expected - actual;
  if (diff <= 1us) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "off by " << std::chrono::nanoseconds(diff).count() << " ns";
}

DeviceConfig small_device() {
  DeviceConfig config;
  config.flash_size = 0x400000;
  config.known_stubs = test::test_stubs();
  return config;
}

class DeviceLinkTest : public ::testing::Test {
 protected:
  LinkTimingConfig config_ = [] {
    LinkTimingConfig c;
    c.turnaround = 1ms;
    c.sector_erase = 30ms;
    c.program_bytes_per_second = 400000;
    return c;
  }();
  VirtualDevice device_{small_device()};
  DeviceLink link_{device_, config_};
  SlipDecoder decoder_;

  void send(TimePoint now, Opcode op, ByteView data, std::uint32_t sum = 0) {
    link_.host_bytes(now, slip_encode(request(op, data, sum)));
  }
  // Runs the link deadline by deadline; every frame with the time its last byte left the chip.
  std::vector<TimedFrame> drain() {
    std::vector<TimedFrame> out;
    while (const auto deadline = link_.next_deadline()) {
      Bytes bytes;
      link_.advance(*deadline, bytes);
      std::vector<Bytes> frames;
      decoder_.feed(bytes, frames);
      for (Bytes& f : frames) out.push_back({*deadline, std::move(f)});
    }
    return out;
  }
  // The same, for the deadlines up to `until`.
  std::vector<TimedFrame> drain_until(TimePoint until) {
    std::vector<TimedFrame> out;
    while (const auto deadline = link_.next_deadline()) {
      if (*deadline > until) break;
      Bytes bytes;
      link_.advance(*deadline, bytes);
      std::vector<Bytes> frames;
      decoder_.feed(bytes, frames);
      for (Bytes& f : frames) out.push_back({*deadline, std::move(f)});
    }
    return out;
  }
  static std::size_t wire_size(ByteView payload) { return slip_encode(payload).size(); }
  void start_stub(TimePoint now) {
    // The stub's bytes as if uploaded before (the upload's timing is not what these tests measure).
    device_.registers().write_block(test::kTestStubText, test::test_stub_text());
    device_.registers().write_block(test::kTestStubData, test::test_stub_data());
    send(now, Opcode::MemEnd, words({0, test::kTestStubEntry}));
    ASSERT_EQ(drain().size(), 2u);  // MEM_END reply, OHAI
    ASSERT_EQ(device_.mode(), LoaderMode::Stub);
  }
};

TEST_F(DeviceLinkTest, SyncRepliesAtTheLineRate) {
  const TimePoint t0{10s};
  Bytes sync = request(Opcode::Sync, test::sync_payload());
  const Bytes wire = slip_encode(sync);
  link_.host_bytes(t0, wire);
  const TimePoint received = t0 + LinkTiming::wire_time(wire.size(), 115200);
  Bytes early;
  link_.advance(received - 1ns, early);
  EXPECT_TRUE(early.empty());
  const auto frames = drain();
  ASSERT_EQ(frames.size(), 8u);
  const auto reply = LinkTiming::wire_time(wire_size(frames[0].payload), 115200);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_TRUE(same_time(frames[i].at, received + 1ms + reply * static_cast<int>(i + 1))) << i;
  }
  EXPECT_FALSE(link_.next_deadline());
}

TEST_F(DeviceLinkTest, BaudChangeAppliesAfterItsReply) {
  const TimePoint t0{10s};
  const Bytes wire = slip_encode(request(Opcode::ChangeBaudrate, words({921600, 0})));
  link_.host_bytes(t0, wire);
  const TimePoint received = t0 + LinkTiming::wire_time(wire.size(), 115200);
  const auto frames = drain();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(same_time(frames[0].at, received + 1ms + LinkTiming::wire_time(wire_size(frames[0].payload), 115200)));
  EXPECT_EQ(device_.baud(), 921600u);
  const TimePoint t1 = frames[0].at + 50ms;
  const Bytes read = slip_encode(request(Opcode::ReadReg, words({0x40001000})));
  link_.host_bytes(t1, read);
  const auto answer = drain();
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(same_time(answer[0].at, t1 + LinkTiming::wire_time(read.size(), 921600) + 1ms +
                                          LinkTiming::wire_time(wire_size(answer[0].payload), 921600)));
}

TEST_F(DeviceLinkTest, RomAcknowledgesADataBlockOnlyAfterWritingIt) {
  const TimePoint t0{10s};
  send(t0, Opcode::FlashBegin, words({0x4000, 1, 0x4000, 0x10000, 0}));
  const auto begun = drain();
  ASSERT_EQ(begun.size(), 1u);  // ROM erased 4 sectors up front: 120 ms before the reply
  const auto begin_wire = slip_encode(request(Opcode::FlashBegin, words({0x4000, 1, 0x4000, 0x10000, 0}))).size();
  EXPECT_TRUE(same_time(begun[0].at, t0 + LinkTiming::wire_time(begin_wire, 115200) + 120ms + 1ms +
                                         LinkTiming::wire_time(wire_size(begun[0].payload), 115200)));
  const TimePoint t1 = begun[0].at;
  const Bytes image(0x4000, 0x5A);
  const auto [payload, sum] = data_block(0, image);
  const Bytes wire = slip_encode(request(Opcode::FlashData, payload, sum));
  link_.host_bytes(t1, wire);
  const auto acked = drain();
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0].payload[8], 0u);
  // 16 KiB at 400 kB/s = 40.96 ms of programming before the acknowledgement
  EXPECT_TRUE(same_time(acked[0].at, t1 + LinkTiming::wire_time(wire.size(), 115200) + 40960us + 1ms +
                                         LinkTiming::wire_time(wire_size(acked[0].payload), 115200)));
}

TEST_F(DeviceLinkTest, StubAcknowledgesOnReceiptAndTheNextCommandWaitsForTheWrite) {
  const TimePoint t0{10s};
  start_stub(t0);
  device_.set_baud(4000000);  // fast enough that the flash, not the line, is the bottleneck
  const TimePoint t1{20s};
  send(t1, Opcode::FlashBegin, words({0x8000, 2, 0x4000, 0x10000}));
  const auto begun = drain();
  ASSERT_EQ(begun.size(), 1u);
  const TimePoint t2 = begun[0].at;
  Bytes image(0x8000);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 13 + 1);
  Bytes wires;
  std::vector<TimePoint> received;
  LinkTiming line(LinkTimingConfig{});
  for (std::uint32_t seq = 0; seq < 2; ++seq) {
    const auto [payload, sum] = data_block(seq, ByteView(image).subspan(seq * 0x4000, 0x4000));
    const Bytes wire = slip_encode(request(Opcode::FlashData, payload, sum));
    received.push_back(line.receive(t2, wire.size(), 4000000));
    wires.insert(wires.end(), wire.begin(), wire.end());
  }
  const Bytes md5 = slip_encode(request(Opcode::SpiFlashMd5, words({0x10000, 0x8000, 0, 0})));
  const TimePoint md5_received = line.receive(t2, md5.size(), 4000000);
  wires.insert(wires.end(), md5.begin(), md5.end());
  link_.host_bytes(t2, wires);  // the host does not wait (worst case for the chip)
  const auto frames = drain();
  ASSERT_EQ(frames.size(), 3u);
  const auto ack_time = LinkTiming::wire_time(wire_size(frames[0].payload), 4000000);
  const auto block_work = 4 * 30ms + 40960us;  // lazy erase of 4 sectors + 16 KiB programming
  // block 0: acknowledged on receipt
  EXPECT_TRUE(same_time(frames[0].at, received[0] + 1ms + ack_time));
  // block 1 arrived while block 0 was being written: its acknowledgement waits for that write
  ASSERT_LT(received[1], received[0] + block_work);
  EXPECT_TRUE(same_time(frames[1].at, received[0] + block_work + 1ms + ack_time));
  // MD5 (not a data block) waits for block 1's write
  const auto md5_time = LinkTiming::wire_time(wire_size(frames[2].payload), 4000000);
  ASSERT_LT(md5_received, received[0] + 2 * block_work);
  EXPECT_TRUE(same_time(frames[2].at, received[0] + 2 * block_work + 1ms + md5_time));
  EXPECT_TRUE(std::equal(image.begin(), image.end(), device_.flash().view(0x10000, 0x8000).begin()));
}

TEST_F(DeviceLinkTest, ReadFlashStreamsAtTheLineRate) {
  const TimePoint t0{10s};
  start_stub(t0);
  device_.set_baud(921600);
  const TimePoint t1{20s};
  send(t1, Opcode::ReadFlash, words({0, 0x10000, 0x1000, 64}));
  std::vector<TimedFrame> frames = drain();
  ASSERT_EQ(frames.size(), 17u);  // status + 16 packets (no acks yet, so no digest)
  // erased flash: 0xFF needs no escaping, each packet is 0x1002 bytes on the wire
  const auto packet = LinkTiming::wire_time(0x1002, 921600);
  for (std::size_t i = 2; i < frames.size(); ++i) EXPECT_TRUE(same_time(frames[i].at, frames[i - 1].at + packet)) << i;
}

TEST(DeviceLinkInstant, RealtimeOffAnswersAtOnce) {
  VirtualDevice device(small_device());
  DeviceLink link(device, LinkTimingConfig::instant());
  const TimePoint t0{10s};
  link.host_bytes(t0, slip_encode(request(Opcode::Sync, test::sync_payload())));
  Bytes out;
  link.advance(t0, out);
  std::vector<Bytes> frames;
  SlipDecoder decoder;
  decoder.feed(out, frames);
  EXPECT_EQ(frames.size(), 8u);
  EXPECT_FALSE(link.next_deadline());
}

TEST_F(DeviceLinkTest, UnknownCodeIsSilentUntilTheWatchdogResetsTheChipIntoTheRom) {  // issue 21 item 1
  const TimePoint t0{10s};
  send(t0, Opcode::MemEnd, words({0, 0x40380000}));  // nothing known in RAM
  std::vector<TimedFrame> frames = drain_until(t0 + 500ms);
  ASSERT_EQ(frames.size(), 1u);  // the MEM_END reply, no OHAI
  const TimePoint reply_at = frames[0].at;
  EXPECT_EQ(device_.running_code(), 0x40380000u);
  send(t0 + 600ms, Opcode::Sync, test::sync_payload());  // nobody answers
  Bytes before;
  const TimePoint watchdog =
      reply_at - 1ms + device_.config().unknown_code_watchdog;  // reply ready = sent - turnaround
  link_.advance(watchdog - 1ms, before);
  EXPECT_TRUE(before.empty());
  // The watchdog: the ROM's banner (download straps still latched), then the ROM loader again.
  Bytes banner;
  while (const auto deadline = link_.next_deadline()) link_.advance(*deadline, banner);
  const std::string text(banner.begin(), banner.end());
  EXPECT_NE(text.find("rst:0x7 (TG0WDT_SYS_RST),boot:0x0 (DOWNLOAD(USB/UART0))\r\nSaved PC:0x40380000\r\n"
                      "waiting for download\r\n"),
            std::string::npos)
      << text;
  EXPECT_FALSE(device_.running_code());
  EXPECT_EQ(device_.mode(), LoaderMode::Rom);
  send(watchdog + 1s, Opcode::Sync, test::sync_payload());
  EXPECT_EQ(drain().size(), 8u);
}

TEST_F(DeviceLinkTest, AResetBeforeTheWatchdogCancelsIt) {
  const TimePoint t0{10s};
  send(t0, Opcode::MemEnd, words({0, 0x40380000}));
  ASSERT_EQ(drain_until(t0 + 100ms).size(), 1u);
  link_.on_chip_reset(t0 + 200ms);
  (void)device_.reset_into_download();
  EXPECT_FALSE(link_.next_deadline());
}

}  // namespace
}  // namespace espfab::emulator
