// The auto-baud ladder's walk against a fake link (each rung's try is a function of the rate):
// fastest passing rung kept, failed rungs recorded, no-chip and wrong-chip errors not mistaken for
// a rate problem, the fixture's drop after a link error, and the "auto"/rate setting.
#include "loader/auto_baud.hpp"

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

// A fake link: the chip answers at 115200; rates above `max_ok` fail after identification.
struct FakeLink {
  explicit FakeLink(std::uint32_t max) : max_ok(max) {}
  std::uint32_t max_ok;
  bool chip_present = true;
  bool other_chip = false;
  std::vector<std::uint32_t> tried;
  RungTry rung() {
    return [this](std::uint32_t baud, bool& identified) {
      tried.push_back(baud);
      if (!chip_present) throw TimeoutError("loader.no_sync", "no answer to SYNC", "is a chip in the fixture?");
      if (other_chip) throw PolicyRefusalError("loader.wrong_chip", "an ESP32-C3", "an ESP32-S3 only");
      identified = true;
      if (baud > max_ok) {
        throw ProtocolError("loader.baud_probe_mismatch", "the verified transfer read garbage", "a bad cable");
      }
      return true;
    };
  }
};

TEST(BaudLadder, TheDocumentedLadderFastestFirst) {
  EXPECT_EQ(std::vector<std::uint32_t>(kBaudLadder.begin(), kBaudLadder.end()),
            (std::vector<std::uint32_t>{3000000, 2000000, 1500000, 921600}));
  BaudLadder ladder;
  EXPECT_EQ(ladder.current(), 3000000u);
  EXPECT_FALSE(ladder.verified());
}

TEST(BaudLadder, AllRungsPassTheFastestIsKeptWithOneAttempt) {
  FakeLink link(5000000);
  BaudLadder ladder;
  const auto attempts = walk_baud_ladder(ladder, link.rung());
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].baud, 3000000u);
  EXPECT_TRUE(attempts[0].passed);
  EXPECT_TRUE(attempts[0].verified);
  EXPECT_EQ(ladder.current(), 3000000u);
  EXPECT_TRUE(ladder.verified());
}

TEST(BaudLadder, FailingRungsAreRecordedAndTheFastestPassingOneIsKeptForTheNextDevice) {
  FakeLink link(1500000);
  BaudLadder ladder;
  const auto attempts = walk_baud_ladder(ladder, link.rung());
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[0].baud, 3000000u);
  EXPECT_FALSE(attempts[0].passed);
  EXPECT_NE(attempts[0].error.find("verified transfer"), std::string::npos);
  EXPECT_EQ(attempts[1].baud, 2000000u);
  EXPECT_FALSE(attempts[1].passed);
  EXPECT_EQ(attempts[2].baud, 1500000u);
  EXPECT_TRUE(attempts[2].passed);
  EXPECT_EQ(ladder.current(), 1500000u);
  // The next device of the fixture starts at the kept rung: one try.
  link.tried.clear();
  EXPECT_EQ(walk_baud_ladder(ladder, link.rung()).size(), 1u);
  EXPECT_EQ(link.tried, std::vector<std::uint32_t>{1500000});
}

TEST(BaudLadder, NoChipIsNotARateProblemTheErrorPassesAtOnce) {
  FakeLink link(5000000);
  link.chip_present = false;
  BaudLadder ladder;
  test::expect_error<TimeoutError>([&] { walk_baud_ladder(ladder, link.rung()); }, "loader.no_sync");
  EXPECT_EQ(link.tried.size(), 1u);
  EXPECT_EQ(ladder.current(), 3000000u);  // nothing learnt about the link
}

TEST(BaudLadder, AnotherChipFamilyIsRefusedWithoutWalking) {
  FakeLink link(5000000);
  link.other_chip = true;
  BaudLadder ladder;
  test::expect_error<PolicyRefusalError>([&] { walk_baud_ladder(ladder, link.rung()); }, "loader.wrong_chip");
  EXPECT_EQ(link.tried.size(), 1u);
}

TEST(BaudLadder, WhenEveryRungFailsTheErrorNamesEachAttempt) {
  FakeLink link(115200);
  BaudLadder ladder;
  const auto error =
      test::expect_error<IoError>([&] { walk_baud_ladder(ladder, link.rung()); }, "loader.auto_baud_failed");
  for (const char* rate : {"3000000", "2000000", "1500000", "921600"}) {
    EXPECT_NE(error.message().find(rate), std::string::npos) << error.message();
  }
  EXPECT_EQ(ladder.current(), 921600u);
  EXPECT_TRUE(ladder.at_bottom());
}

TEST(BaudLadder, ALinkErrorDropsOneRungUnverifiedAndTheBottomStays) {
  BaudLadder ladder;
  ladder.passed();
  EXPECT_TRUE(ladder.drop());
  EXPECT_EQ(ladder.current(), 2000000u);
  EXPECT_FALSE(ladder.verified());
  EXPECT_TRUE(ladder.drop());
  EXPECT_TRUE(ladder.drop());
  EXPECT_EQ(ladder.current(), 921600u);
  EXPECT_FALSE(ladder.drop());
  EXPECT_EQ(ladder.current(), 921600u);
}

TEST(BaudLadder, AnUnverifiedPassInSecureDownloadModeKeepsTheRungUnverified) {
  BaudLadder ladder;
  const auto attempts = walk_baud_ladder(ladder, [](std::uint32_t, bool& identified) {
    identified = true;
    return false;  // Secure Download Mode: no transfer to verify with
  });
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_TRUE(attempts[0].passed);
  EXPECT_FALSE(attempts[0].verified);
  EXPECT_FALSE(ladder.verified());
}

TEST(BaudSetting, AutoOrARateInRangeAndErrorsThatSayWhatToGive) {
  EXPECT_TRUE(parse_baud_setting("auto").automatic);
  const auto fixed = parse_baud_setting("460800");
  EXPECT_FALSE(fixed.automatic);
  EXPECT_EQ(fixed.rate, 460800u);
  for (const char* bad : {"", "fast", "921600x", "AUTO"}) {
    const auto error = test::expect_error<BadInputError>([&] { parse_baud_setting(bad); }, "loader.bad_baud");
    EXPECT_NE(error.hint().find("auto"), std::string::npos);
  }
  const auto low = test::expect_error<BadInputError>([] { parse_baud_setting("1200"); }, "loader.bad_baud");
  EXPECT_NE(low.message().find("9600..5000000"), std::string::npos);
  test::expect_error<BadInputError>([] { parse_baud_setting("6000000"); }, "loader.bad_baud");
}

}  // namespace
}  // namespace espfab::loader
