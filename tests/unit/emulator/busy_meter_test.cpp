// The busy meter: a union of intervals, whatever order they come in, and its control-channel text.
#include "emulator/busy_meter.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

using namespace std::chrono_literals;
using TimePoint = BusyMeter::TimePoint;

const TimePoint t0{100s};

TEST(BusyMeter, AddsDisjointIntervalsAndMergesTouchingOnes) {
  BusyMeter meter;
  meter.add(t0, t0 + 10ms);
  meter.add(t0 + 10ms, t0 + 15ms);  // touches: one interval
  meter.add(t0 + 20ms, t0 + 30ms);
  EXPECT_EQ(meter.total(), 25ms);
  ASSERT_EQ(meter.intervals().size(), 2u);
  EXPECT_EQ(meter.intervals()[0].end, t0 + 15ms);
}

TEST(BusyMeter, CountsOverlapsOnce) {
  BusyMeter meter;
  meter.add(t0, t0 + 10ms);
  meter.add(t0 + 5ms, t0 + 12ms);  // the chip works while the line still receives
  meter.add(t0 + 1ms, t0 + 2ms);   // inside
  EXPECT_EQ(meter.total(), 12ms);
  EXPECT_EQ(meter.intervals().size(), 1u);
}

TEST(BusyMeter, AnEarlierIntervalLandsInPlaceAndBridgesGaps) {
  BusyMeter meter;
  meter.add(t0 + 20ms, t0 + 30ms);
  meter.add(t0 + 40ms, t0 + 50ms);
  meter.add(t0, t0 + 5ms);  // before everything held
  EXPECT_EQ(meter.total(), 25ms);
  ASSERT_EQ(meter.intervals().size(), 3u);
  EXPECT_EQ(meter.intervals()[0].begin, t0);
  meter.add(t0 + 25ms, t0 + 45ms);  // joins the last two
  EXPECT_EQ(meter.total(), 35ms);
  ASSERT_EQ(meter.intervals().size(), 2u);
  EXPECT_EQ(meter.intervals()[1].begin, t0 + 20ms);
  EXPECT_EQ(meter.intervals()[1].end, t0 + 50ms);
}

TEST(BusyMeter, EmptyOrReversedIntervalsCountNothing) {
  BusyMeter meter;
  meter.add(t0, t0);
  meter.add(t0 + 5ms, t0);
  EXPECT_EQ(meter.total(), 0ms);
  EXPECT_TRUE(meter.intervals().empty());
}

TEST(BusyMeter, FoldsTheOldestIntervalsPastTheLimitAndKeepsTheTotal) {
  BusyMeter meter;
  for (std::size_t i = 0; i < BusyMeter::kMaxIntervals + 10; ++i) {
    const TimePoint at = t0 + 2ms * static_cast<int>(i);
    meter.add(at, at + 1ms);
  }
  EXPECT_EQ(meter.intervals().size(), BusyMeter::kMaxIntervals);
  EXPECT_EQ(meter.folded(), 10u);
  EXPECT_EQ(meter.total(), 1ms * static_cast<int>(BusyMeter::kMaxIntervals + 10));
  meter.clear();
  EXPECT_EQ(meter.total(), 0ms);
  EXPECT_EQ(meter.folded(), 0u);
}

TEST(BusyMeter, DescribesItselfInEpochMicroseconds) {
  BusyMeter meter;
  meter.add(t0, t0 + 1500us);
  meter.add(t0 + 2ms, t0 + 3ms);
  // steady t0 (100 s) + offset 1 700 000 000 s = epoch 1 700 000 100 s
  const auto text = describe_busy(meter, std::chrono::seconds(1'700'000'000));
  EXPECT_EQ(text,
            "busy_us=2500 folded=0 intervals=1700000100000000-1700000100001500,1700000100002000-1700000100003000");
}

}  // namespace
}  // namespace espfab::emulator
