#include "station/hello_line.hpp"

#include <gtest/gtest.h>

namespace espfab::station {
namespace {

TEST(HelloLine, ReadsTheReasonCode) {
  auto hello = read_hello_line("devices/EF-000001/hello puback=0 (Success)");
  EXPECT_TRUE(hello.reached_broker);
  EXPECT_EQ(hello.puback, 0u);
  hello = read_hello_line("devices/EF-000001/hello puback=135 (Not authorized)");
  EXPECT_EQ(hello.puback, 135u);
  EXPECT_EQ(read_hello_line("devices/EF-000001/hello puback=16").puback, 16u);
}

TEST(HelloLine, NoPubackMeansTheBrokerWasNotReached) {
  const auto hello = read_hello_line("cannot connect to broker.local:8883 (connection refused)");
  EXPECT_FALSE(hello.reached_broker);
  EXPECT_FALSE(hello.puback);
}

TEST(HelloLine, GarbageIsNotSuccess) {
  for (const char* line : {"devices/x/hello puback=garbage (Success)", "devices/x/hello puback=", "puback= 0",
                           "puback=0x10", "puback=-1", "puback=256", "puback=0garbage", "puback=4294967296"}) {
    const auto hello = read_hello_line(line);
    EXPECT_TRUE(hello.reached_broker) << line;
    EXPECT_FALSE(hello.puback) << line << " read as " << hello.puback.value_or(999);
  }
}

}  // namespace
}  // namespace espfab::station
