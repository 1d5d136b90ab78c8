#include "registry/retry_policy.hpp"

#include <gtest/gtest.h>

namespace espfab::registry {
namespace {

TEST(RetryPolicy, RetriesTransientErrorsUpToTheLimit) {
  RetryPolicy policy{3, std::chrono::milliseconds(1), std::chrono::milliseconds(4)};
  unsigned calls = 0;
  EXPECT_EQ(with_retries(policy,
                         [&]() -> std::string {
                           if (++calls < 3) throw IoError("x.down", "down");
                           return "ok";
                         }),
            "ok");
  EXPECT_EQ(calls, 3u);
  calls = 0;
  try {
    with_retries(policy, [&]() -> std::string {
      ++calls;
      throw TimeoutError("x.slow", "slow");
    });
    ADD_FAILURE();
  } catch (const TimeoutError& error) {
    EXPECT_NE(error.describe().find("after 3 attempts"), std::string::npos) << error.describe();
  }
  EXPECT_EQ(calls, 3u);
}

TEST(RetryPolicy, DoesNotRetryAConflict) {
  unsigned calls = 0;
  EXPECT_THROW(with_retries({5, std::chrono::milliseconds(1)},
                            [&]() -> std::string {
                              ++calls;
                              throw PolicyRefusalError("x.conflict", "conflict");
                            }),
               PolicyRefusalError);
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace espfab::registry
