#include "util/deadline.hpp"

#include <gtest/gtest.h>

namespace espfab {
namespace {

TEST(Deadline, ExpiresAfterBudget) {
  Deadline past(std::chrono::milliseconds(-1));
  EXPECT_TRUE(past.expired());
  EXPECT_EQ(past.remaining(), Deadline::Clock::duration::zero());
  Deadline future(std::chrono::hours(1));
  EXPECT_FALSE(future.expired());
  EXPECT_GT(future.remaining_ms().count(), 3590 * 1000);
}

TEST(Deadline, NeverDoesNotExpire) {
  const Deadline never = Deadline::never();
  EXPECT_FALSE(never.expired());
  EXPECT_EQ(never.remaining_ms(), std::chrono::milliseconds::max());
}

}  // namespace
}  // namespace espfab
