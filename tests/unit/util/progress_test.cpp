#include "util/progress.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace espfab {
namespace {

TEST(ProgressEvent, RateAndEta) {
  ProgressEvent event;
  event.done = 500;
  event.total = 1500;
  event.elapsed = std::chrono::seconds(1);
  EXPECT_DOUBLE_EQ(event.rate_per_second(), 500.0);
  ASSERT_TRUE(event.eta().has_value());
  EXPECT_EQ(event.eta()->count(), 2);
  EXPECT_FALSE(event.finished());
}

TEST(ProgressEvent, NoEstimateWithoutTotalOrTime) {
  ProgressEvent event;
  event.done = 10;
  EXPECT_FALSE(event.eta().has_value());
  EXPECT_EQ(event.rate_per_second(), 0.0);
}

TEST(ProgressReporter, SendsEventsWithItemAndTotal) {
  std::vector<ProgressEvent> events;
  ProgressReporter reporter([&](const ProgressEvent& e) { events.push_back(e); }, "write-flash", "app @0x10000", 100);
  reporter.update(40);
  reporter.finish();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].operation, "write-flash");
  EXPECT_EQ(events[0].item, "app @0x10000");
  EXPECT_EQ(events[0].done, 40u);
  EXPECT_TRUE(events[1].finished());
}

TEST(ProgressReporter, NullCallbackIsAllowed) {
  ProgressReporter reporter(nullptr, "erase", "all", 10);
  reporter.update(5);
  SUCCEED();
}

}  // namespace
}  // namespace espfab
