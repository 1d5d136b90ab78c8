// The factory-test core's JSON reader (firmware/components/espfab_factory_test/core/ft_json.c):
// what it accepts, member lookup, arrays, integers and strings; and on many generated texts it
// accepts exactly what the station's JSON library (nlohmann/json) accepts.
#include "espfab_ft/ft_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>

namespace espfab::test {
namespace {

bool parses(const std::string& text, espfab_ft_json_value* root = nullptr) {
  espfab_ft_json_value value;
  const bool ok = espfab_ft_json_parse(text.data(), text.size(), &value);
  if (ok && root != nullptr) *root = value;
  return ok;
}

bool nlohmann_parses(const std::string& text) { return !nlohmann::json::parse(text, nullptr, false).is_discarded(); }

espfab_ft_json_value root_of(const std::string& text) {
  espfab_ft_json_value root{};
  EXPECT_TRUE(parses(text, &root)) << text;
  return root;
}

std::string string_member(const std::string& text, const char* key) {
  espfab_ft_json_value member{};
  if (!espfab_ft_json_member(root_of(text), key, &member)) return "<missing>";
  char buf[64];
  std::size_t len = 0;
  if (!espfab_ft_json_string_of(member, buf, sizeof buf, &len)) return "<not a string>";
  return std::string(buf, len);
}

TEST(FtJson, AcceptsOneValueWithWhiteSpaceAround) {
  for (const std::string text : {"{}", " { } ", "[]", "0", "-0", "1.5e-3", "\"x\"", "true", "false", "null",
                                 R"({"a":[1,{"b":null}],"c":"\u00e9"})", "\xEF\xBB\xBF{}", "\t\r\n[ 1 , 2 ]\n"}) {
    EXPECT_TRUE(parses(text)) << text;
  }
}

TEST(FtJson, RefusesWhatIsNotExactlyOneValue) {
  for (const std::string text : {"",
                                 " ",
                                 "{",
                                 "}",
                                 "{}}",
                                 "{} {}",
                                 "[1,]",
                                 "{\"a\":1,}",
                                 "{\"a\"}",
                                 "{\"a\" 1}",
                                 "{a:1}",
                                 "'a'",
                                 "01",
                                 "1.",
                                 ".5",
                                 "-",
                                 "+1",
                                 "1e",
                                 "1e+",
                                 "tru",
                                 "nul",
                                 "True",
                                 "\"abc",
                                 "\"\\x\"",
                                 "\"\\u12\"",
                                 "\"\\ud800\"",
                                 "\"\\udc00\"",
                                 "\"\\ud800\\u0041\"",
                                 "\"\x01\"",
                                 "\"\xff\"",
                                 "\"\xc0\xaf\"",
                                 "\"\xed\xa0\x80\"",
                                 "\"\xf4\x90\x80\x80\"",
                                 "1e400",
                                 "-1e400",
                                 " \xEF\xBB\xBF{}",
                                 "\xEF\xBB{}"}) {
    EXPECT_FALSE(parses(text)) << text;
    EXPECT_FALSE(nlohmann_parses(text)) << "the test's own expectation: " << text;
  }
}

TEST(FtJson, ANulAfterTheValueEndsTheTextAsForNlohmann) {
  const std::string text("{\"a\":1} \0 garbage", 17);
  EXPECT_TRUE(parses(text));
  EXPECT_TRUE(nlohmann_parses(text));
  EXPECT_FALSE(parses(std::string("{\"a\":\0 1}", 9)));
}

TEST(FtJson, TextsLongerThanARequestAreRefused) {
  const std::string fits = "\"" + std::string(ESPFAB_FT_JSON_MAX_TEXT - 2, 'x') + "\"";
  EXPECT_TRUE(parses(fits));
  EXPECT_FALSE(parses(" " + fits));
  const std::string deep =
      std::string(ESPFAB_FT_JSON_MAX_TEXT / 2, '[') + std::string(ESPFAB_FT_JSON_MAX_TEXT / 2, ']');
  EXPECT_TRUE(parses(deep)) << "nesting is bounded by the length only";
}

TEST(FtJson, MembersAreFoundByDecodedKeyAndTheLastDuplicateCounts) {
  const std::string text = R"({"cmd":"info","\u0069d":1,"nested":{"id":9},"id":2,"x":[1,"id"]})";
  espfab_ft_json_value id{};
  ASSERT_TRUE(espfab_ft_json_member(root_of(text), "id", &id));
  std::int64_t value = 0;
  ASSERT_TRUE(espfab_ft_json_int_in(id, INT64_MIN, INT64_MAX, &value));
  EXPECT_EQ(value, 2);
  EXPECT_EQ(string_member(text, "cmd"), "info");
  EXPECT_EQ(string_member(text, "missing"), "<missing>");
  EXPECT_EQ(string_member(text, "nested"), "<not a string>");
  espfab_ft_json_value nested{};
  ASSERT_TRUE(espfab_ft_json_member(root_of(text), "nested", &nested));
  EXPECT_EQ(espfab_ft_json_type_of(nested), ESPFAB_FT_JSON_OBJECT);
  espfab_ft_json_value member{};
  EXPECT_FALSE(espfab_ft_json_member(root_of("[1]"), "id", &member)) << "not an object";
  EXPECT_FALSE(espfab_ft_json_member(root_of("{}"), "id", &member));
}

TEST(FtJson, ArraysAreWalkedInOrder) {
  const std::string text = R"({"a":[ [4,5] , "x" ,{"k":[1]},null ]})";  // the values point into it
  espfab_ft_json_value array{};
  ASSERT_TRUE(espfab_ft_json_member(root_of(text), "a", &array));
  espfab_ft_json_iter iter;
  espfab_ft_json_iter_init(array, &iter);
  std::vector<std::string> elements;
  espfab_ft_json_value element{};
  while (espfab_ft_json_iter_next(&iter, &element)) elements.emplace_back(element.begin, element.end);
  EXPECT_EQ(elements, (std::vector<std::string>{"[4,5]", "\"x\"", "{\"k\":[1]}", "null"}));
  const std::string empty = "[]";
  espfab_ft_json_iter_init(root_of(empty), &iter);
  EXPECT_FALSE(espfab_ft_json_iter_next(&iter, &element));
  const std::string object = "{}";
  espfab_ft_json_iter_init(root_of(object), &iter);
  EXPECT_FALSE(espfab_ft_json_iter_next(&iter, &element)) << "not an array";
}

TEST(FtJson, IntegersAreNumbersWithoutFractionThatFit64Bits) {
  const auto integer = [](const std::string& text) {
    espfab_ft_json_integer out{};
    return espfab_ft_json_integer_of(root_of(text), &out)
               ? std::string(out.negative ? "-" : "") + std::to_string(out.magnitude)
               : std::string("no");
  };
  EXPECT_EQ(integer("0"), "0");
  EXPECT_EQ(integer("-0"), "0");
  EXPECT_EQ(integer("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(integer("18446744073709551616"), "no");
  EXPECT_EQ(integer("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(integer("-9223372036854775809"), "no");
  EXPECT_EQ(integer("1.0"), "no");
  EXPECT_EQ(integer("1e2"), "no");
  EXPECT_EQ(integer("\"1\""), "no");
  std::int64_t value = 0;
  EXPECT_TRUE(espfab_ft_json_int_in(root_of("48"), 0, 48, &value));
  EXPECT_FALSE(espfab_ft_json_int_in(root_of("49"), 0, 48, &value));
  EXPECT_FALSE(espfab_ft_json_int_in(root_of("-1"), 0, 48, &value));
  EXPECT_TRUE(espfab_ft_json_int_in(root_of("-9223372036854775808"), INT64_MIN, 0, &value));
  EXPECT_EQ(value, INT64_MIN);
  EXPECT_FALSE(espfab_ft_json_int_in(root_of("9223372036854775808"), INT64_MIN, INT64_MAX, &value));
}

TEST(FtJson, StringsAreDecoded) {
  const std::string text = R"("a\"\\\/\b\f\n\r\t\u00e9\u20ac\ud83d\ude00\u0000z")";
  char buf[64];
  std::size_t len = 0;
  ASSERT_TRUE(espfab_ft_json_string_of(root_of(text), buf, sizeof buf, &len));
  EXPECT_EQ(std::string(buf, len), std::string("a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z", 20));
  EXPECT_EQ(std::string(buf, len), nlohmann::json::parse(text).get<std::string>());
  EXPECT_FALSE(espfab_ft_json_string_of(root_of(text), buf, 19, &len)) << "does not fit";
  EXPECT_TRUE(espfab_ft_json_string_of(root_of(text), buf, 20, &len)) << "fits without its NUL";
  EXPECT_FALSE(espfab_ft_json_string_of(root_of("5"), buf, sizeof buf, &len));
}

TEST(FtJson, Utf8CharactersAreMeasured) {
  const auto length = [](const std::string& s) { return espfab_ft_json_utf8_length(s.data(), s.data() + s.size()); };
  EXPECT_EQ(length("a"), 1u);
  EXPECT_EQ(length("\xc3\xa9"), 2u);
  EXPECT_EQ(length("\xe2\x82\xac"), 3u);
  EXPECT_EQ(length("\xf0\x9f\x98\x80"), 4u);
  EXPECT_EQ(length("\xc3"), 0u);
  EXPECT_EQ(length("\xed\xa0\x80"), 0u) << "a surrogate";
  EXPECT_EQ(length("\xff"), 0u);
}

// Generated texts, valid and damaged: accepted exactly when nlohmann/json accepts them.
TEST(FtJson, AcceptsExactlyWhatTheStationsJsonLibraryAccepts) {
  std::mt19937 rng(7);
  const std::vector<std::string> seeds = {
      R"({"id":1,"cmd":"gpio_loopback","pairs":[[4,5],[6,7]]})", R"({"a":-0.5e+7,"b":[true,false,null],"c":{}})",
      R"(["\u00e9\ud83d\ude00\n", 18446744073709551615, -9223372036854775809, 1E-400])", "\xEF\xBB\xBF[\"\xc3\xa9\"]"};
  const std::string alphabet =
      std::string("{}[]\":,\\ 0123456789-+.eEtrufalsnu\t\r\n\x01\x7f\xc3\xa9\xed\xa0\xf0\xff") + std::string(1, '\0');
  int checked = 0;
  for (const auto& seed : seeds) {
    for (int i = 0; i < 5000; ++i) {
      std::string text = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const std::size_t at = rng() % text.size();
        const char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0: text[at] = c; break;
          case 1: text.erase(at, 1); break;
          default: text.insert(at, 1, c); break;
        }
      }
      ASSERT_EQ(parses(text), nlohmann_parses(text))
          << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 20000);
}

}  // namespace
}  // namespace espfab::test
