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

}  // namespace
}  // namespace espfab::emulator
