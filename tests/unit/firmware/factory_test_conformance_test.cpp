// One conformance suite for both factory-test firmwares (docs/firmware-contract.md): the
// emulator's app (src/emulator/factory_test_app) and the reference C core of
// firmware/components/espfab_factory_test, on the same board. Every message of the contract, with
// the reply it must get byte for byte (the same parameterized cases run against each), then the
// two side by side on those lines and thousands of damaged copies of them: any line they answer
// differently fails.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "emulator/factory_test_app.hpp"
#include "support/firmware/reference_factory_test.hpp"
#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

using emulator::FactoryTestBoard;
using emulator::FactoryTestFirmware;

constexpr const char* kMac = "7c:df:a1:00:00:05";

FactoryTestBoard board(const std::string& faults = {}) {
  emulator::FactoryTestDevice device;
  device.mac = kMac;
  device.version = "2.1.0-rc1";
  return FactoryTestBoard(device, emulator::parse_factory_test_faults(faults));
}

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<FactoryTestFirmware>(FactoryTestBoard)> make;
};

const Implementation kEmulator{"EmulatorApp", [](FactoryTestBoard b) -> std::unique_ptr<FactoryTestFirmware> {
                                 return std::make_unique<emulator::FactoryTestApp>(std::move(b));
                               }};
const Implementation kReference{"ReferenceCore", ReferenceFactoryTest::factory()};

// "{temp}" and the like: the board's reading as the station's JSON library prints it.
std::string expand(std::string text, const FactoryTestBoard& b) {
  const auto adc = b.adc(0, 1);
  const std::map<std::string, std::string> values{
      {"{temp}", nlohmann::json(b.sensor("temp")->value).dump()},
      {"{humidity}", nlohmann::json(b.sensor("humidity")->value).dump()},
      {"{mv}", std::to_string(adc.mv)},
      {"{min_mv}", std::to_string(adc.min_mv)},
      {"{max_mv}", std::to_string(adc.max_mv)},
  };
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key)) text.replace(at, key.size(), value);
  }
  return text;
}

struct Message {
  const char* what;
  std::string request;
  std::string reply;        // "" when the line must get no reply
  std::string faults = {};  // the board's fault knobs
};

const std::string kPairs17 = [] {
  std::string pairs;
  for (int i = 0; i < 17; ++i) pairs += fmt::format("{}[{},{}]", i ? "," : "", i, i + 20);
  return pairs;
}();

const std::vector<Message> kMessages = {
    // Framing: only a JSON object with an integer id is a request.
    {"console noise", "I (312) cpu_start: Pro cpu start user code", ""},
    {"empty line", "", ""},
    {"white space", " \t ", ""},
    {"object without id", R"({"cmd":"info"})", ""},
    {"empty object", "{}", ""},
    {"string id", R"({"id":"7","cmd":"info"})", ""},
    {"fraction id", R"({"id":1.5,"cmd":"info"})", ""},
    {"exponent id", R"({"id":1e2,"cmd":"info"})", ""},
    {"null id", R"({"id":null,"cmd":"info"})", ""},
    {"id beyond 64 bits", R"({"id":18446744073709551616,"cmd":"info"})", ""},
    {"array", R"([{"id":1,"cmd":"info"}])", ""},
    {"truncated", R"({"id":1,"cmd":"info")", ""},
    {"trailing garbage", R"({"id":1,"cmd":"info"}x)", ""},
    {"trailing comma", R"({"id":1,"cmd":"info",})", ""},
    {"single quotes", R"({'id':1,'cmd':'info'})", ""},
    {"leading zero", R"({"id":01,"cmd":"info"})", ""},
    {"raw control character",
     "{\"id\":1,\"cmd\":\"in\x01"
     "fo\"}",
     ""},
    {"malformed UTF-8", "{\"id\":1,\"cmd\":\"\xff\"}", ""},
    {"overlong UTF-8", "{\"id\":1,\"cmd\":\"\xc0\xaf\"}", ""},
    {"lone surrogate escape", R"({"id":1,"cmd":"\ud800"})", ""},
    {"number overflowing a double", R"({"id":1,"cmd":"info","x":1e400})", ""},
    {"longer than 1024 bytes", R"({"id":1,"cmd":"info","pad":")" + std::string(1000, 'x') + "\"}", ""},
    {"exactly 1024 bytes", R"({"id":1,"cmd":"info","pad":")" + std::string(1024 - 30, 'x') + "\"}",
     R"({"id":1,"ok":true,"chip":"ESP32-S3","revision":"v0.2","flash_size":8388608,"psram_size":8388608,"mac":"7c:df:a1:00:00:05"})"},
    {"byte order mark and white space", "\xEF\xBB\xBF {\"id\":2,\"cmd\":\"reboot\"}\r\t ", R"({"id":2,"ok":true})"},
    {"a NUL after the object ends the line (as for the station's JSON library)",
     std::string("{\"id\":8,\"cmd\":\"reboot\"}\0{garbage", 32), R"({"id":8,"ok":true})"},
    {"big integer argument", R"({"id":3,"cmd":"reboot","x":123456789012345678901234567890})", R"({"id":3,"ok":true})"},
    // The id comes back as it was given.
    {"id 0", R"({"id":0,"cmd":"reboot"})", R"({"id":0,"ok":true})"},
    {"negative id", R"({"id":-17,"cmd":"reboot"})", R"({"id":-17,"ok":true})"},
    {"minus zero id", R"({"id":-0,"cmd":"reboot"})", R"({"id":0,"ok":true})"},
    {"largest int64 id", R"({"id":9223372036854775807,"cmd":"reboot"})", R"({"id":9223372036854775807,"ok":true})"},
    {"smallest int64 id", R"({"id":-9223372036854775808,"cmd":"reboot"})", R"({"id":-9223372036854775808,"ok":true})"},
    {"largest uint64 id", R"({"id":18446744073709551615,"cmd":"reboot"})", R"({"id":18446744073709551615,"ok":true})"},
    {"id after cmd", R"({"cmd":"reboot","id":5})", R"({"id":5,"ok":true})"},
    {"duplicate id: the last counts", R"({"id":1,"cmd":"reboot","id":2})", R"({"id":2,"ok":true})"},
    {"escaped key", R"({"\u0069d":6,"cmd":"reboot"})", R"({"id":6,"ok":true})"},
    // cmd
    {"no cmd", R"({"id":1})", R"({"id":1,"ok":false,"error":"bad argument cmd: expected a string"})"},
    {"cmd not a string", R"({"id":1,"cmd":5})", R"({"id":1,"ok":false,"error":"bad argument cmd: expected a string"})"},
    {"unknown command", R"({"id":7,"cmd":"self_destruct"})",
     R"({"id":7,"ok":false,"error":"unknown command self_destruct"})"},
    {"empty command", R"({"id":7,"cmd":""})", R"({"id":7,"ok":false,"error":"unknown command "})"},
    {"commands are case-sensitive", R"({"id":7,"cmd":"INFO"})",
     R"({"id":7,"ok":false,"error":"unknown command INFO"})"},
    {"escapes in the echoed name", R"({"id":7,"cmd":"a\"b\\c\u0001\u00e9\/\ud83d\ude00\u0000"})",
     "{\"id\":7,\"ok\":false,\"error\":\"unknown command a\\\"b\\\\c\\u0001\xc3\xa9/\xf0\x9f\x98\x80\\u0000\"}"},
    // info
    {"info", R"({"id":1,"cmd":"info"})",
     R"({"id":1,"ok":true,"chip":"ESP32-S3","revision":"v0.2","flash_size":8388608,"psram_size":8388608,"mac":"7c:df:a1:00:00:05"})"},
    {"info ignores arguments", R"({"cmd":"info","id":1,"verbose":[true,{"a":null}]})",
     R"({"id":1,"ok":true,"chip":"ESP32-S3","revision":"v0.2","flash_size":8388608,"psram_size":8388608,"mac":"7c:df:a1:00:00:05"})"},
    {"info without PSRAM", R"({"id":1,"cmd":"info"})",
     R"({"id":1,"ok":true,"chip":"ESP32-S3","revision":"v0.2","flash_size":8388608,"psram_size":0,"mac":"7c:df:a1:00:00:05"})",
     "no_psram"},
    // gpio_loopback
    {"one pair", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,5]]})",
     R"({"id":3,"ok":true,"results":[{"pair":[4,5],"pass":true,"read_high":true,"read_low":false}]})"},
    {"two pairs, one stuck", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,5],[6,7]]})",
     R"({"id":3,"ok":true,"results":[{"pair":[4,5],"pass":false,"read_high":false,"read_low":false},{"pair":[6,7],"pass":true,"read_high":true,"read_low":false}]})",
     "gpio_stuck=5:low"},
    {"stuck high", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,5]]})",
     R"({"id":3,"ok":true,"results":[{"pair":[4,5],"pass":false,"read_high":true,"read_low":true}]})",
     "gpio_stuck=4:high"},
    {"no pairs", R"({"cmd":"gpio_loopback","id":3})", R"({"id":3,"ok":true,"results":[]})"},
    {"empty pairs", R"({"cmd":"gpio_loopback","id":3,"pairs":[]})", R"({"id":3,"ok":true,"results":[]})"},
    {"highest GPIO", R"({"cmd":"gpio_loopback","id":3,"pairs":[[48,0]]})",
     R"({"id":3,"ok":true,"results":[{"pair":[48,0],"pass":true,"read_high":true,"read_low":false}]})"},
    {"pair of one", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4]]})", ""},
    {"pair of three", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,5,6]]})", ""},
    {"pin as a string", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,"5"]]})", ""},
    {"pin 49", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4,49]]})", ""},
    {"negative pin", R"({"cmd":"gpio_loopback","id":3,"pairs":[[-1,5]]})", ""},
    {"pin with a fraction", R"({"cmd":"gpio_loopback","id":3,"pairs":[[4.0,5]]})", ""},
    {"pairs not an array", R"({"cmd":"gpio_loopback","id":3,"pairs":{"4":5}})", ""},
    {"17 pairs", R"({"cmd":"gpio_loopback","id":3,"pairs":[)" + kPairs17 + "]}", ""},
    // adc_read
    {"adc_read", R"({"cmd":"adc_read","id":4,"channel":3,"samples":16})",
     R"({"id":4,"ok":true,"mv":{mv},"min_mv":{min_mv},"max_mv":{max_mv}})"},
    {"adc_read with defaults", R"({"cmd":"adc_read","id":4})",
     R"({"id":4,"ok":true,"mv":{mv},"min_mv":{min_mv},"max_mv":{max_mv}})"},
    {"adc_read limits", R"({"cmd":"adc_read","id":4,"channel":255,"samples":1024})",
     R"({"id":4,"ok":true,"mv":{mv},"min_mv":{min_mv},"max_mv":{max_mv}})"},
    {"negative channel", R"({"cmd":"adc_read","id":4,"channel":-1})",
     R"({"id":4,"ok":false,"error":"bad argument channel: expected an integer from 0 to 255"})"},
    {"channel 256", R"({"cmd":"adc_read","id":4,"channel":256})",
     R"({"id":4,"ok":false,"error":"bad argument channel: expected an integer from 0 to 255"})"},
    {"channel as a string", R"({"cmd":"adc_read","id":4,"channel":"3"})",
     R"({"id":4,"ok":false,"error":"bad argument channel: expected an integer from 0 to 255"})"},
    {"no samples", R"({"cmd":"adc_read","id":4,"samples":0})",
     R"({"id":4,"ok":false,"error":"bad argument samples: expected an integer from 1 to 1024"})"},
    {"too many samples", R"({"cmd":"adc_read","id":4,"samples":1025})",
     R"({"id":4,"ok":false,"error":"bad argument samples: expected an integer from 1 to 1024"})"},
    // sensor
    {"temperature", R"({"cmd":"sensor","id":4,"name":"temp"})",
     R"({"id":4,"ok":true,"value":{temp},"unit":"C","present":true})"},
    {"humidity", R"({"cmd":"sensor","id":4,"name":"humidity"})",
     R"({"id":4,"ok":true,"value":{humidity},"unit":"%","present":true})"},
    {"imu", R"({"cmd":"sensor","id":4,"name":"imu"})",
     R"({"id":4,"ok":true,"value":9.81,"unit":"m/s2","present":true})"},
    {"missing sensor", R"({"cmd":"sensor","id":4,"name":"imu"})",
     R"({"id":4,"ok":true,"value":null,"unit":"m/s2","present":false})", "sensor_missing=imu"},
    {"unknown sensor", R"({"cmd":"sensor","id":7,"name":"pressure"})",
     R"({"id":7,"ok":false,"error":"unknown sensor pressure"})"},
    {"sensor without a name", R"({"cmd":"sensor","id":7})",
     R"({"id":7,"ok":false,"error":"bad argument name: expected a string"})"},
    {"sensor name not a string", R"({"cmd":"sensor","id":7,"name":["temp"]})",
     R"({"id":7,"ok":false,"error":"bad argument name: expected a string"})"},
    // wifi_scan
    {"scan for one network", R"({"cmd":"wifi_scan","id":5,"ssid":"FACTORY-AP"})",
     R"({"id":5,"ok":true,"aps":[{"ssid":"FACTORY-AP","rssi":-45,"channel":6}]})"},
    {"scan for everything", R"({"cmd":"wifi_scan","id":5})",
     R"({"id":5,"ok":true,"aps":[{"ssid":"FACTORY-AP","rssi":-45,"channel":6},{"ssid":"office","rssi":-71,"channel":11},{"ssid":"guest","rssi":-80,"channel":1}]})"},
    {"empty ssid scans everything", R"({"cmd":"wifi_scan","id":5,"ssid":""})",
     R"({"id":5,"ok":true,"aps":[{"ssid":"FACTORY-AP","rssi":-45,"channel":6},{"ssid":"office","rssi":-71,"channel":11},{"ssid":"guest","rssi":-80,"channel":1}]})"},
    {"weak signal", R"({"cmd":"wifi_scan","id":5,"ssid":"FACTORY-AP"})",
     R"({"id":5,"ok":true,"aps":[{"ssid":"FACTORY-AP","rssi":-85,"channel":6}]})", "wifi_rssi=-85"},
    {"no such network", R"({"cmd":"wifi_scan","id":5,"ssid":"factory-ap"})", R"({"id":5,"ok":true,"aps":[]})"},
    {"ssid not a string", R"({"cmd":"wifi_scan","id":5,"ssid":null})",
     R"({"id":5,"ok":false,"error":"bad argument ssid: expected a string"})"},
    // mem_test
    {"psram", R"({"cmd":"mem_test","id":6,"region":"psram"})", R"({"id":6,"ok":true,"pass":true,"bytes":8388608})"},
    {"psram by default", R"({"cmd":"mem_test","id":6})", R"({"id":6,"ok":true,"pass":true,"bytes":8388608})"},
    {"no psram", R"({"cmd":"mem_test","id":6,"region":"psram"})", R"({"id":6,"ok":true,"pass":false,"bytes":0})",
     "no_psram"},
    {"flash", R"({"cmd":"mem_test","id":6,"region":"flash"})", R"({"id":6,"ok":true,"pass":true,"bytes":8388608})"},
    {"unknown region", R"({"cmd":"mem_test","id":6,"region":"eeprom"})",
     R"({"id":6,"ok":false,"error":"unknown region eeprom"})"},
    {"region not a string", R"({"cmd":"mem_test","id":6,"region":1})",
     R"({"id":6,"ok":false,"error":"bad argument region: expected a string"})"},
    // reboot
    {"reboot", R"({"cmd":"reboot","id":9})", R"({"id":9,"ok":true})"},
};

const std::string kBadPairs =
    R"(,"ok":false,"error":"bad argument pairs: expected up to 16 [OUT,IN] pairs of GPIO numbers 0-48"})";

// The bad-pairs cases share their reply; written once here.
std::string expected_reply(const Message& m) {
  if (m.reply.empty() && m.request.find("\"gpio_loopback\"") != std::string::npos) return R"({"id":3)" + kBadPairs;
  return m.reply;
}

class FactoryTestConformance : public ::testing::TestWithParam<Implementation> {};

TEST_P(FactoryTestConformance, ReadyLine) {
  auto firmware = GetParam().make(board());
  EXPECT_EQ(firmware->ready_line(),
            R"({"ft":1,"event":"ready","fw":"factory-test","version":"2.1.0-rc1","mac":"7c:df:a1:00:00:05"})");
  EXPECT_FALSE(firmware->reset_requested());
}

TEST_P(FactoryTestConformance, EveryMessageOfTheContract) {
  for (const auto& m : kMessages) {
    const auto b = board(m.faults);
    auto firmware = GetParam().make(b);
    (void)firmware->ready_line();
    const auto lines = firmware->handle_line(m.request);
    const std::string expected = expand(expected_reply(m), b);
    if (expected.empty()) {
      EXPECT_TRUE(lines.empty()) << m.what << ": " << (lines.empty() ? "" : lines[0]);
      continue;
    }
    ASSERT_EQ(lines.size(), 1u) << m.what;
    EXPECT_EQ(lines[0], expected) << m.what;
    EXPECT_EQ(firmware->reset_requested(),
              expected.find(R"(,"ok":true})") != std::string::npos && m.request.find("\"reboot\"") != std::string::npos)
        << m.what;
  }
}

TEST_P(FactoryTestConformance, RequestsAreAnsweredInOrderOnOneLink) {
  auto firmware = GetParam().make(board());
  (void)firmware->ready_line();
  std::vector<std::string> replies;
  for (const char* line :
       {R"({"id":1,"cmd":"info"})", "noise", R"({"id":2,"cmd":"mem_test"})", R"({"id":3,"cmd":"nope"})"}) {
    for (auto& reply : firmware->handle_line(line)) replies.push_back(std::move(reply));
  }
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(replies[0])["id"], 1);
  EXPECT_EQ(nlohmann::json::parse(replies[1])["id"], 2);
  EXPECT_EQ(nlohmann::json::parse(replies[2])["ok"], false);
}

// The examples of docs/firmware-contract.md (the ready line of §1.2, the exchanges of §1.4) are
// what each firmware answers.
TEST_P(FactoryTestConformance, TheDocumentedExamples) {
  const std::string doc = read_vector_text("../../docs/firmware-contract.md");
  emulator::FactoryTestDevice device;
  device.mac = "7c:df:a1:00:00:01";
  EXPECT_NE(doc.find(GetParam().make(FactoryTestBoard(device, {}))->ready_line()), std::string::npos);
  const auto start = doc.find("\n```\n", doc.find("Examples (the station writes")) + 5;
  std::istringstream block(doc.substr(start, doc.find("```", start) - start));
  std::vector<std::string> lines;
  for (std::string line; std::getline(block, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 20u);
  ASSERT_EQ(lines.size() % 2, 0u);
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    auto firmware = GetParam().make(board("sensor_missing=imu"));
    EXPECT_EQ(firmware->handle_line(lines[i]), std::vector<std::string>{lines[i + 1]}) << lines[i];
  }
}

INSTANTIATE_TEST_SUITE_P(BothFirmwares, FactoryTestConformance, ::testing::Values(kEmulator, kReference),
                         [](const auto& param_info) { return param_info.param.name; });

// Damaged copies of a line: bytes replaced, dropped, duplicated or inserted, with the characters
// JSON and the framing care about most likely.
std::string damage(std::string line, std::mt19937& rng) {
  static const std::string kInteresting =
      std::string("\"\\{}[],:0123456789-+.eEtrufalsn \t\r\x01\x7f\xc3\xa9\xff") + std::string(1, '\0');
  const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  const std::size_t edits = 1 + pick(3);
  for (std::size_t e = 0; e < edits; ++e) {
    const std::size_t at = line.empty() ? 0 : pick(line.size());
    const char c = pick(4) == 0 ? static_cast<char>(pick(256)) : kInteresting[pick(kInteresting.size())];
    switch (pick(4)) {
      case 0:
        if (!line.empty()) line[at] = c;
        break;
      case 1:
        if (!line.empty()) line.erase(at, 1);
        break;
      case 2:
        if (!line.empty()) line.insert(at, 1, line[at]);
        break;
      default: line.insert(at, 1, c); break;
    }
  }
  std::erase(line, '\n');
  return line;
}

TEST(FactoryTestConformance, BothFirmwaresAnswerEveryLineAlike) {
  std::mt19937 rng(18);
  std::size_t lines = 0;
  std::size_t answered = 0;
  for (const auto& m : kMessages) {
    for (int copy = 0; copy < 300; ++copy) {
      const std::string line = copy == 0 ? m.request : damage(m.request, rng);
      auto emulator_app = kEmulator.make(board(m.faults));
      auto reference = kReference.make(board(m.faults));
      const auto expected = emulator_app->handle_line(line);
      const auto got = reference->handle_line(line);
      ++lines;
      answered += expected.empty() ? 0u : 1u;
      ASSERT_EQ(got, expected) << "line: "
                               << nlohmann::json(line).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
      ASSERT_EQ(reference->reset_requested(), emulator_app->reset_requested()) << line;
    }
  }
  EXPECT_GT(answered, lines / 10) << "the damaged lines still reach the commands";
  RecordProperty("lines", static_cast<int>(lines));
}

}  // namespace
}  // namespace espfab::test
