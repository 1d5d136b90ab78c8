// The link time model as arithmetic: wire time at a baud, flash work, ROM vs stub ordering.
#include "emulator/link_timing.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

using namespace std::chrono_literals;
using TimePoint = LinkTiming::TimePoint;

TEST(LinkTiming, WireTimeIsTenBitsPerByte) {
  EXPECT_EQ(LinkTiming::wire_time(92160, 921600), 1s);
  EXPECT_EQ(LinkTiming::wire_time(11520, 115200), 1s);
  EXPECT_EQ(LinkTiming::wire_time(1, 1000000), 10us);
  EXPECT_EQ(LinkTiming::wire_time(100, 0), LinkTiming::Duration::zero());
}

TEST(LinkTiming, FlashTimeFromActivity) {
  LinkTiming timing(LinkTimingConfig{}, 8 * 1024 * 1024);
  const FlashActivity before{10, 1000, 0};
  EXPECT_EQ(timing.flash_time(before, {11, 1000, 0}), 30ms);
  EXPECT_EQ(timing.flash_time(before, {10, 5000, 0}), 10ms);      // 4000 bytes at 400 kB/s
  EXPECT_EQ(timing.flash_time(before, {10, 1000, 1}), 20s);       // 8 MiB at 2.5 s/MiB
  EXPECT_EQ(timing.flash_time(before, {10, 1000, 0, 2}), 300ms);  // two 64 KiB block erases
  LinkTimingConfig fast;
  fast.sector_erase = 1ms;
  fast.program_bytes_per_second = 1'000'000;
  EXPECT_EQ(LinkTiming(fast).flash_time(before, {14, 3000, 0}), 4ms + 2ms);
}

TEST(LinkTiming, ReceiveQueuesBytesBehindEachOther) {
  LinkTiming timing(LinkTimingConfig{});
  const TimePoint t0{1s};
  EXPECT_EQ(timing.receive(t0, 1152, 115200), t0 + 100ms);
  EXPECT_EQ(timing.receive(t0 + 10ms, 1152, 115200), t0 + 200ms);  // the line was still busy
  EXPECT_EQ(timing.receive(t0 + 1s, 1152, 115200), t0 + 1100ms);   // idle line: from now
}

TEST(LinkTiming, RomRepliesAfterTheWorkStubBeforeIt) {
  LinkTimingConfig config;
  config.turnaround = 1ms;
  const TimePoint t0{1s};
  LinkTiming rom(config);
  EXPECT_EQ(rom.handle(t0, 40ms, false), t0 + 41ms);
  LinkTiming stub(config);
  EXPECT_EQ(stub.handle(t0, 40ms, true), t0 + 1ms);
  EXPECT_EQ(stub.busy_until(), t0 + 40ms);
  // the next request (a data block or anything else) waits for the pending write
  EXPECT_EQ(stub.handle(t0 + 10ms, 40ms, true), t0 + 41ms);
  EXPECT_EQ(stub.handle(t0 + 90ms, 0ms, false), t0 + 91ms);
}

TEST(LinkTiming, TransmitSerialisesFrames) {
  LinkTiming timing(LinkTimingConfig{});
  const TimePoint t0{1s};
  EXPECT_EQ(timing.transmit(t0, 92160, 921600), t0 + 1s);
  EXPECT_EQ(timing.transmit(t0, 9216, 921600), t0 + 1100ms);
  timing.reset(t0 + 2s);
  EXPECT_EQ(timing.transmit(t0, 9216, 921600), t0 + 2100ms);
}

TEST(LinkTiming, BusyTimeIsTheLinesAndTheChipsWorkNotTheGapsBetween) {
  LinkTimingConfig config;
  config.turnaround = 1ms;
  LinkTiming rom(config);
  const TimePoint t0{1s};
  // a request: 10 ms on the line, 40 ms of flash work, 1 ms turnaround, a 5 ms reply
  const TimePoint received = rom.receive(t0, 1000, 1000000);
  const TimePoint ready = rom.handle(received, 40ms, false);
  rom.transmit(ready, 500, 1000000);
  EXPECT_EQ(rom.busy().total(), 10ms + 40ms + 1ms + 5ms);
  // the host takes 100 ms before its next request (line free again at t0+56ms): not the device's time
  const TimePoint next = rom.receive(t0 + 156ms, 1000, 1000000);
  EXPECT_EQ(next, t0 + 166ms);
  EXPECT_EQ(rom.busy().total(), 66ms);
  EXPECT_EQ(rom.busy().intervals().size(), 2u);
  // the stub: the next block arrives while the last one is still being written: counted once
  LinkTiming stub(config);
  const TimePoint first = stub.receive(t0, 1000, 1000000);  // t0+10ms
  stub.handle(first, 40ms, true);                           // busy to t0+50ms
  stub.receive(t0 + 12ms, 1000, 1000000);                   // t0+12..22ms, inside
  EXPECT_EQ(stub.busy().total(), 50ms);
  stub.reset(t0 + 1s);  // a chip reset keeps what was counted
  EXPECT_EQ(stub.busy().total(), 50ms);
  stub.clear_busy();
  EXPECT_EQ(stub.busy().total(), 0ms);
}

}  // namespace
}  // namespace espfab::emulator
