// The login throttle with the time given by the test: the limits per user name and per address,
// the window failures count in, the lockout's end, and what a successful login forgets.
#include "web/login_throttle.hpp"

#include <gtest/gtest.h>

namespace espfab::web {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

const Clock::time_point kStart = Clock::time_point() + 1000h;

TEST(LoginThrottle, FiveFailuresForAUserLockItsNameFromAnyAddressForAMinute) {
  LoginThrottle throttle;
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(throttle.failed("otto", "10.0.0.1", kStart + i * 1s).empty());
    EXPECT_FALSE(throttle.refused_for("otto", "10.0.0.1", kStart + i * 1s));
  }
  EXPECT_EQ(throttle.failed("otto", "10.0.0.1", kStart + 4s), std::vector<std::string>{"user otto"});
  EXPECT_EQ(throttle.refused_for("otto", "10.0.0.2", kStart + 4s), 60s) << "the name, from any address";
  EXPECT_FALSE(throttle.refused_for("anna", "10.0.0.1", kStart + 4s)) << "the address is below its limit";
  EXPECT_EQ(throttle.refused_for("otto", "10.0.0.1", kStart + 63500ms), 1s) << "rounded up";
  EXPECT_FALSE(throttle.refused_for("otto", "10.0.0.1", kStart + 64s)) << "the lockout is over";
  // After the lockout the count starts afresh: one more failure does not lock again.
  EXPECT_TRUE(throttle.failed("otto", "10.0.0.1", kStart + 65s).empty());
  EXPECT_FALSE(throttle.refused_for("otto", "10.0.0.1", kStart + 65s));
}

TEST(LoginThrottle, OnlyFailuresWithinTheWindowCount) {
  LoginThrottle throttle;
  for (const auto at : {0s, 20s, 40s, 61s, 70s}) EXPECT_TRUE(throttle.failed("otto", "10.0.0.1", kStart + at).empty());
  EXPECT_FALSE(throttle.refused_for("otto", "10.0.0.1", kStart + 70s)) << "the first one is older than a minute";
  EXPECT_EQ(throttle.failed("otto", "10.0.0.1", kStart + 75s), std::vector<std::string>{"user otto"});
  EXPECT_TRUE(throttle.refused_for("otto", "10.0.0.1", kStart + 75s));
}

TEST(LoginThrottle, TenFailuresFromAnAddressLockItForEveryName) {
  LoginThrottle throttle;
  for (int i = 0; i < 9; ++i) {
    EXPECT_TRUE(throttle.failed("guess" + std::to_string(i), "10.0.0.9", kStart).empty());
  }
  EXPECT_EQ(throttle.failed("guess9", "10.0.0.9", kStart), std::vector<std::string>{"address 10.0.0.9"});
  EXPECT_EQ(throttle.refused_for("anna", "10.0.0.9", kStart + 1s), 59s);
  EXPECT_FALSE(throttle.refused_for("guess0", "10.0.0.1", kStart + 1s)) << "each name failed once: not locked";
}

TEST(LoginThrottle, ASuccessForgetsTheNamesFailuresNotTheAddresss) {
  LoginThrottle throttle(LoginLimits{3, 4, 60s, 30s});
  throttle.failed("otto", "10.0.0.1", kStart);
  throttle.failed("otto", "10.0.0.1", kStart);
  throttle.succeeded("otto");
  EXPECT_TRUE(throttle.failed("otto", "10.0.0.1", kStart).empty()) << "the name starts afresh";
  EXPECT_EQ(throttle.failed("otto", "10.0.0.1", kStart), std::vector<std::string>{"address 10.0.0.1"});
  EXPECT_EQ(throttle.refused_for("anna", "10.0.0.1", kStart), 30s);
}

TEST(LoginThrottle, ANameForTheLogShowsOnlyNameCharacters) {
  LoginThrottle throttle(LoginLimits{1, 10, 60s, 60s});
  EXPECT_EQ(throttle.failed("otto\n2026 forged line", "10.0.0.1", kStart),
            std::vector<std::string>{"user otto?2026?forged?line"});
}

}  // namespace
}  // namespace espfab::web
