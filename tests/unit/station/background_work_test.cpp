// BackgroundWork (background_work.hpp): host work a step starts for a later step of the same
// device runs on its own thread, its result is taken once, its exception reaches the step that
// takes it, and teardown waits for unfinished work and destroys what nobody took.
#include "station/background_work.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace espfab::station {
namespace {

// Counts its live copies, so a test sees when a result is destroyed.
struct Tracked {
  explicit Tracked(std::shared_ptr<std::atomic<int>> live_) : live(std::move(live_)) { ++*live; }
  Tracked(Tracked&& other) noexcept : live(other.live) { ++*live; }
  Tracked& operator=(Tracked&&) = delete;
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  ~Tracked() { --*live; }
  std::shared_ptr<std::atomic<int>> live;
};

TEST(BackgroundWork, StartReturnsAtOnceAndTakeWaitsForTheResult) {
  BackgroundWork work;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> finished{false};
  work.start<std::string>([released, &finished] {
    released.wait();  // the work cannot end before the test lets it
    finished = true;
    return std::string("key pair");
  });
  EXPECT_FALSE(finished.load()) << "start() did not wait for the work";
  EXPECT_EQ(work.size(), 1u);
  release.set_value();
  const auto result = work.take<std::string>();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, "key pair");
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(work.take<std::string>().has_value()) << "a result is taken once";
}

TEST(BackgroundWork, RunsOnAnotherThread) {
  BackgroundWork work;
  work.start<std::thread::id>([] { return std::this_thread::get_id(); });
  EXPECT_NE(*work.take<std::thread::id>(), std::this_thread::get_id());
}

TEST(BackgroundWork, NothingStartedOfThatTypeIsNullopt) {
  BackgroundWork work;
  work.start<int>([] { return 7; });
  EXPECT_FALSE(work.take<std::string>().has_value());
  EXPECT_EQ(*work.take<int>(), 7);
}

TEST(BackgroundWork, TheWorksExceptionIsThrownByTake) {
  BackgroundWork work;
  work.start<int>([]() -> int { throw std::runtime_error("the CA refused"); });
  EXPECT_THROW(work.take<int>(), std::runtime_error);
  EXPECT_EQ(work.size(), 0u);
}

TEST(BackgroundWork, StartingTheSameKindAgainReplacesTheEarlierWork) {
  BackgroundWork work;
  work.start<int>([] { return 1; });
  work.start<int>([] { return 2; });
  EXPECT_EQ(work.size(), 1u);
  EXPECT_EQ(*work.take<int>(), 2);
}

TEST(BackgroundWork, AResultPutBackIsTakenAgainOnceAndClearedIfNobodyTakesIt) {
  auto live = std::make_shared<std::atomic<int>>(0);
  {
    BackgroundWork work;
    work.start<Tracked>([live] { return Tracked(live); });
    auto taken = work.take<Tracked>();
    ASSERT_TRUE(taken.has_value());
    EXPECT_FALSE(work.take<Tracked>().has_value());
    work.put_back(std::move(*taken));  // the step that took it failed: its retry takes it again
    EXPECT_EQ(work.size(), 1u);
    auto again = work.take<Tracked>();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->live, live);
    EXPECT_FALSE(work.take<Tracked>().has_value());
    work.put_back(std::move(*again));
  }  // put back and never taken: destroyed with the work
  EXPECT_EQ(live->load(), 0);
}

TEST(BackgroundWork, ClearWaitsForRunningWorkAndDestroysResultsNobodyTook) {
  auto live = std::make_shared<std::atomic<int>>(0);
  std::atomic<bool> finished{false};
  {
    BackgroundWork work;
    work.start<Tracked>([live, &finished] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished = true;
      return Tracked(live);
    });
    work.clear();
    EXPECT_TRUE(finished.load()) << "clear() returned while the work still ran";
    EXPECT_EQ(live->load(), 0) << "the untaken result outlived clear()";
    EXPECT_EQ(work.size(), 0u);
    work.start<Tracked>([live] { return Tracked(live); });
  }  // the destructor clears too
  EXPECT_EQ(live->load(), 0);
}

TEST(BackgroundWork, AWorkThatOwnsAMoveOnlySecretIsAccepted) {
  BackgroundWork work;
  auto secret = std::make_unique<std::string>("device key");
  work.start<std::size_t>([owned = std::move(secret)] { return owned->size(); });
  EXPECT_EQ(*work.take<std::size_t>(), 10u);
}

}  // namespace
}  // namespace espfab::station
