// The factory-test core's JSON writer (ft_writer.c): byte for byte what nlohmann/json's dump()
// makes of the same values (numbers, strings, nesting), and what it does when a line is full.
#include "espfab_ft/ft_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace espfab::test {
namespace {

std::string c_double(double value) {
  char text[32];
  const std::size_t len = espfab_ft_format_double(value, text);
  EXPECT_EQ(len, std::strlen(text));
  return text;
}

std::string c_string(const std::string& value) {
  char buf[4096];
  espfab_ft_writer w;
  espfab_ft_writer_init(&w, buf, sizeof buf);
  espfab_ft_begin_array(&w, nullptr);
  espfab_ft_put_string_n(&w, nullptr, value.data(), value.size());
  espfab_ft_end_array(&w);
  EXPECT_FALSE(w.overflow);
  return std::string(buf, w.len);
}

// Sensor readings and the usual doubles: the same text as nlohmann/json (Grisu2) prints.
TEST(FtWriter, DoublesAsTheStationsJsonLibraryPrintsThem) {
  for (const double value : {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             25.7,
                             9.81,
                             24.5 + 0.7,
                             0.1,
                             1e-4,
                             1e-5,
                             1.5e-5,
                             123456789012345.0,
                             1e15,
                             1e16,
                             1.7976931348623157e308,
                             5e-324,
                             -2.5e-300,
                             100.0,
                             1e22,
                             0.30000000000000004,
                             std::numeric_limits<double>::min(),
                             4.35,
                             1650.25}) {
    EXPECT_EQ(c_double(value), nlohmann::json(value).dump()) << value;
  }
  EXPECT_EQ(c_double(std::nan("")), "null");
  EXPECT_EQ(c_double(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(c_double(25.0), "25.0");
  EXPECT_EQ(c_double(1e-5), "1e-05");
}

// Readings with up to three decimals in -1000..1000 (what sensors report): always nlohmann's text.
TEST(FtWriter, ReadingsMatchNlohmann) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> millis(-1000000, 1000000);
  for (int i = 0; i < 100000; ++i) {
    const double reading = millis(rng) / 1000.0;
    ASSERT_EQ(c_double(reading), nlohmann::json(reading).dump()) << reading;
    const double centi = millis(rng) / 100.0;
    ASSERT_EQ(c_double(centi), nlohmann::json(centi).dump()) << centi;
  }
}

// Any double: the text reads back as the same double and is never longer than nlohmann's. Where
// Grisu2 (nlohmann) does not find the shortest digits (1e23 is "9.999999999999999e+22" there), or
// two equally short digit strings round-trip (629585278676026.25), the texts differ in spelling,
// not in value: docs/firmware-contract.md, "Framing".
TEST(FtWriter, AnyDoubleReadsBackAndIsAsShortAsNlohmanns) {
  std::mt19937_64 rng(42);
  std::size_t differ = 0;
  for (int i = 0; i < 100000; ++i) {
    double value = 0;
    const std::uint64_t bits = rng();
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    const std::string ours = c_double(value);
    const std::string theirs = nlohmann::json(value).dump();
    ASSERT_EQ(nlohmann::json::parse(ours).get<double>(), value) << ours;
    ASSERT_LE(ours.size(), theirs.size()) << ours << " vs " << theirs;
    differ += ours == theirs ? 0u : 1u;
  }
  EXPECT_EQ(c_double(1e23), "1e+23");
  EXPECT_LT(differ, 1000u) << "spelled differently: rare";
  RecordProperty("spelled_differently", static_cast<int>(differ));
}

TEST(FtWriter, StringsEscapedAsNlohmannEscapesThem) {
  std::string every_ascii;
  for (int c = 0; c < 0x80; ++c) every_ascii.push_back(static_cast<char>(c));
  for (const std::string& value :
       {std::string(), every_ascii, std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/"), std::string("a\0b", 3)}) {
    EXPECT_EQ(c_string(value), nlohmann::json::array({value}).dump());
  }
}

TEST(FtWriter, MembersElementsAndNesting) {
  char buf[256];
  espfab_ft_writer w;
  espfab_ft_writer_init(&w, buf, sizeof buf);
  espfab_ft_begin_object(&w, nullptr);
  espfab_ft_put_int(&w, "id", INT64_MIN);
  espfab_ft_put_uint(&w, "u", UINT64_MAX);
  espfab_ft_put_bool(&w, "ok", true);
  espfab_ft_begin_array(&w, "results");
  espfab_ft_begin_object(&w, nullptr);
  espfab_ft_begin_array(&w, "pair");
  espfab_ft_put_int(&w, nullptr, 4);
  espfab_ft_put_int(&w, nullptr, -5);
  espfab_ft_end_array(&w);
  espfab_ft_put_null(&w, "v");
  espfab_ft_end_object(&w);
  espfab_ft_begin_object(&w, nullptr);
  espfab_ft_end_object(&w);
  espfab_ft_end_array(&w);
  espfab_ft_put_string(&w, "k\"", "v");
  espfab_ft_put_double(&w, "d", 9.81);
  espfab_ft_end_object(&w);
  ASSERT_FALSE(w.overflow);
  EXPECT_STREQ(
      buf,
      R"({"id":-9223372036854775808,"u":18446744073709551615,"ok":true,"results":[{"pair":[4,-5],"v":null},{}],"k\"":"v","d":9.81})");
}

TEST(FtWriter, AFullBufferDropsTheRestAndSaysSo) {
  char buf[8];
  espfab_ft_writer w;
  espfab_ft_writer_init(&w, buf, sizeof buf);
  espfab_ft_begin_object(&w, nullptr);
  espfab_ft_put_string(&w, "key", "value");
  EXPECT_TRUE(w.overflow);
  EXPECT_LT(w.len, sizeof buf);
  EXPECT_EQ(buf[w.len], '\0');
  char wide[64];
  espfab_ft_writer_init(&w, wide, sizeof wide);
  for (int depth = 0; depth < ESPFAB_FT_WRITER_MAX_DEPTH - 1; ++depth) espfab_ft_begin_array(&w, nullptr);
  EXPECT_FALSE(w.overflow);
  espfab_ft_begin_array(&w, nullptr);
  EXPECT_TRUE(w.overflow) << "nesting deeper than the writer keeps track of";
}

}  // namespace
}  // namespace espfab::test
