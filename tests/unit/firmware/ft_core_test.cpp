// The factory-test core (ft_core.c, ft_commands.c) on a scripted board: line assembly from bytes,
// the ready line, the command and sensor registries, board errors and unsupported tests, replies
// that do not fit, and the restart after `reboot`. The protocol's messages against the emulator's
// app: factory_test_conformance_test.cpp.
#include "espfab_ft/ft_core.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace espfab::test {
namespace {

using nlohmann::json;

// A board whose tests answer what the test sets; everything written is kept.
struct ScriptedBoard {
  std::string written;
  std::vector<std::string> calls;
  const char* error = nullptr;  // what every test returns
  int restarts = 0;
  std::vector<espfab_ft_ap> aps;

  static ScriptedBoard& of(void* ctx) { return *static_cast<ScriptedBoard*>(ctx); }
  static void write(void* ctx, const char* data, std::size_t len) { of(ctx).written.append(data, len); }
  static const char* gpio_loopback(void* ctx, int out, int in, espfab_ft_loopback* result) {
    of(ctx).calls.push_back("gpio " + std::to_string(out) + "," + std::to_string(in));
    result->read_high = true;
    result->read_low = out == 13;
    return of(ctx).error;
  }
  static const char* adc_read(void* ctx, int channel, int samples, espfab_ft_adc* result) {
    of(ctx).calls.push_back("adc " + std::to_string(channel) + "x" + std::to_string(samples));
    *result = {1000, 990, 1010};
    return of(ctx).error;
  }
  static const char* wifi_scan(void* ctx, const char* ssid, espfab_ft_ap* aps, std::size_t capacity,
                               std::size_t* count) {
    of(ctx).calls.push_back(std::string("scan ") + (ssid ? ssid : "*"));
    *count = std::min(capacity, of(ctx).aps.size());
    std::copy_n(of(ctx).aps.begin(), *count, aps);
    return of(ctx).error;
  }
  static const char* mem_test(void* ctx, const char* region, espfab_ft_mem* result) {
    of(ctx).calls.push_back(std::string("mem ") + region);
    *result = {true, 4096};
    return of(ctx).error;
  }
  static void restart(void* ctx) { ++of(ctx).restarts; }
};

class FtCore : public ::testing::Test {
 protected:
  void SetUp() override { init(true); }

  void init(bool with_tests) {
    espfab_ft_device device{"7c:df:a1:00:00:09", "3.0.0", "ESP32-S3", "v0.2", 4u << 20, 0};
    espfab_ft_board callbacks{};
    callbacks.ctx = &board;
    callbacks.write = ScriptedBoard::write;
    if (with_tests) {
      callbacks.gpio_loopback = ScriptedBoard::gpio_loopback;
      callbacks.adc_read = ScriptedBoard::adc_read;
      callbacks.wifi_scan = ScriptedBoard::wifi_scan;
      callbacks.mem_test = ScriptedBoard::mem_test;
      callbacks.restart = ScriptedBoard::restart;
    }
    espfab_ft_init(core.get(), &device, &callbacks);
  }

  void feed(const std::string& bytes) {
    espfab_ft_feed(core.get(), reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  // The lines written since the last call.
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::size_t end = 0;
    while ((end = board.written.find("\r\n")) != std::string::npos) {
      out.push_back(board.written.substr(0, end));
      board.written.erase(0, end + 2);
    }
    EXPECT_EQ(board.written, "") << "every write is whole lines";
    return out;
  }
  json ask(const std::string& request) {
    feed(request + "\n");
    const auto out = lines();
    EXPECT_EQ(out.size(), 1u) << request;
    return out.empty() ? json() : json::parse(out[0]);
  }

  ScriptedBoard board;
  std::unique_ptr<espfab_ft_core> core = std::make_unique<espfab_ft_core>();
};

TEST_F(FtCore, ReadyLineCarriesTheDeviceFactsAndThePreflightsMarker) {
  espfab_ft_start(core.get());
  const auto out = lines();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], R"({"ft":1,"event":"ready","fw":"factory-test","version":"3.0.0","mac":"7c:df:a1:00:00:09"})");
  EXPECT_NE(out[0].find(R"("event":"ready")"), std::string::npos);
}

TEST_F(FtCore, LinesAreAssembledFromBytesInAnyChunks) {
  const std::string two = "{\"id\":1,\"cmd\":\"info\"}\r\nnoise\n{\"id\":2,\"cmd\":\"info\"}\n";
  for (const char c : two) feed(std::string(1, c));
  auto out = lines();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(json::parse(out[0])["id"], 1);
  EXPECT_EQ(json::parse(out[1])["id"], 2);
  feed("{\"id\":3,");
  EXPECT_TRUE(lines().empty()) << "nothing before the line end";
  feed("\"cmd\":\"info\"}\n");
  EXPECT_EQ(lines().size(), 1u);
}

TEST_F(FtCore, ALineLongerThanARequestIsDroppedUpToItsEnd) {
  feed("{\"id\":1,\"cmd\":\"info\",\"pad\":\"" + std::string(2000, 'x') + "\"}\n");
  EXPECT_TRUE(lines().empty());
  EXPECT_EQ(ask(R"({"id":2,"cmd":"info"})")["id"], 2) << "the next line is read afresh";
  const std::string exact = R"({"id":3,"cmd":"info","p":")";
  EXPECT_EQ(ask(exact + std::string(ESPFAB_FT_MAX_LINE - exact.size() - 2, 'y') + "\"}\r")["id"], 3)
      << "1024 bytes and a CR fit";
}

TEST_F(FtCore, InfoReportsTheDevice) {
  EXPECT_EQ(
      ask(R"({"id":1,"cmd":"info"})").dump(),
      R"({"chip":"ESP32-S3","flash_size":4194304,"id":1,"mac":"7c:df:a1:00:00:09","ok":true,"psram_size":0,"revision":"v0.2"})");
}

TEST_F(FtCore, CommandsPassTheirArgumentsToTheBoard) {
  EXPECT_EQ(ask(R"({"id":1,"cmd":"gpio_loopback","pairs":[[4,5],[13,14]]})")["results"][1]["pass"], false);
  EXPECT_EQ(ask(R"({"id":2,"cmd":"adc_read","channel":7,"samples":16})")["mv"], 1000);
  EXPECT_EQ(ask(R"({"id":3,"cmd":"adc_read"})")["ok"], true);
  EXPECT_EQ(ask(R"({"id":4,"cmd":"wifi_scan","ssid":"lab"})")["aps"], json::array());
  EXPECT_EQ(ask(R"({"id":5,"cmd":"mem_test","region":"flash"})")["bytes"], 4096);
  EXPECT_EQ(board.calls,
            (std::vector<std::string>{"gpio 4,5", "gpio 13,14", "adc 7x16", "adc 0x1", "scan lab", "mem flash"}));
}

TEST_F(FtCore, TheScanIsFilteredExactlyAndSsidsAreMadeValidUtf8) {
  board.aps = {{"lab", -40, 1}, {"lab-2", -50, 6}, {"caf\xe9", -60, 11}, {"", -70, 3}};
  EXPECT_EQ(ask(R"({"id":1,"cmd":"wifi_scan","ssid":"lab"})").dump(),
            R"({"aps":[{"channel":1,"rssi":-40,"ssid":"lab"}],"id":1,"ok":true})");
  const auto all = ask(R"({"id":2,"cmd":"wifi_scan"})");
  ASSERT_EQ(all["aps"].size(), 4u);
  EXPECT_EQ(all["aps"][2]["ssid"], "caf\xef\xbf\xbd") << "a Latin-1 byte becomes U+FFFD";
  EXPECT_EQ(ask("{\"id\":3,\"cmd\":\"wifi_scan\",\"ssid\":\"caf\xef\xbf\xbd\"}")["aps"].size(), 1u);
}

TEST_F(FtCore, BoardErrorsBecomeErrorReplies) {
  board.error = "GPIO 26 is the flash's";
  const auto reply = ask(R"({"id":1,"cmd":"gpio_loopback","pairs":[[26,27]]})");
  EXPECT_EQ(reply.dump(), R"({"error":"GPIO 26 is the flash's","id":1,"ok":false})");
  EXPECT_EQ(ask(R"({"id":2,"cmd":"mem_test"})")["error"], "GPIO 26 is the flash's");
}

TEST_F(FtCore, TestsTheBoardDoesNotHaveAreNotSupported) {
  init(false);
  for (const char* cmd : {"gpio_loopback", "adc_read", "wifi_scan", "mem_test"}) {
    EXPECT_EQ(ask(std::string(R"({"id":1,"cmd":")") + cmd + "\"}")["error"],
              std::string(cmd) + " is not supported on this board");
  }
  EXPECT_EQ(ask(R"({"id":2,"cmd":"reboot"})")["ok"], true) << "a board without restart just answers";
}

TEST_F(FtCore, RebootRestartsAfterItsReplyIsOut) {
  feed("{\"id\":9,\"cmd\":\"reboot\"}\n");
  EXPECT_EQ(board.restarts, 1);
  EXPECT_EQ(lines(), (std::vector<std::string>{R"({"id":9,"ok":true})"}));
  EXPECT_EQ(ask(R"({"id":10,"cmd":"info"})")["ok"], true);
  EXPECT_EQ(board.restarts, 1);
}

struct Product {
  int leds = 0;
  static bool led_test(void* ctx, espfab_ft_request* request) {
    std::int64_t count = 1;
    if (espfab_ft_arg_int(request, "count", 1, 8, &count) == ESPFAB_FT_ARG_BAD) {
      return espfab_ft_fail(request, "bad argument count: expected an integer from 1 to 8");
    }
    static_cast<Product*>(ctx)->leds += static_cast<int>(count);
    espfab_ft_put_int(request->reply, "lit", count);
    const char* colour = nullptr;
    std::size_t len = 0;
    if (espfab_ft_arg_string(request, "colour", &colour, &len) == ESPFAB_FT_ARG_OK) {
      espfab_ft_put_string_n(request->reply, "colour", colour, len);
    }
    return true;
  }
  static bool silent_failure(void*, espfab_ft_request*) { return false; }
  static bool my_info(void*, espfab_ft_request* request) {
    espfab_ft_put_string(request->reply, "product", "widget");
    return true;
  }
  static bool huge(void*, espfab_ft_request* request) {
    for (int i = 0; i < 500; ++i) espfab_ft_put_string(request->reply, "k", "0123456789");
    return true;
  }
  static const char* temp(void*, double* value, bool* present) {
    *value = 25.0;
    *present = true;
    return nullptr;
  }
  static const char* lid(void*, double*, bool* present) {
    *present = false;
    return nullptr;
  }
  static const char* broken(void*, double*, bool*) { return "I2C timeout"; }
};

TEST_F(FtCore, ProductsAddCommandsAndSensors) {
  Product product;
  ASSERT_TRUE(espfab_ft_add_command(core.get(), "led", Product::led_test, &product));
  ASSERT_TRUE(espfab_ft_add_command(core.get(), "quiet", Product::silent_failure, nullptr));
  ASSERT_TRUE(espfab_ft_add_command(core.get(), "info", Product::my_info, nullptr));
  ASSERT_TRUE(espfab_ft_add_command(core.get(), "huge", Product::huge, nullptr));
  ASSERT_TRUE(espfab_ft_add_sensor(core.get(), "temp", "C", Product::temp, nullptr));
  ASSERT_TRUE(espfab_ft_add_sensor(core.get(), "lid", "", Product::lid, nullptr));
  ASSERT_TRUE(espfab_ft_add_sensor(core.get(), "bme", "hPa", Product::broken, nullptr));
  EXPECT_EQ(ask(R"({"id":1,"cmd":"led","count":3,"colour":"r\u00e9d"})").dump(),
            R"({"colour":"réd","id":1,"lit":3,"ok":true})");
  EXPECT_EQ(product.leds, 3);
  EXPECT_EQ(ask(R"({"id":2,"cmd":"led","count":9})")["error"], "bad argument count: expected an integer from 1 to 8");
  EXPECT_EQ(ask(R"({"id":3,"cmd":"quiet"})")["error"], "quiet failed");
  EXPECT_EQ(ask(R"({"id":4,"cmd":"info"})").dump(), R"({"id":4,"ok":true,"product":"widget"})")
      << "a product's command replaces the built-in one";
  EXPECT_EQ(ask(R"({"id":5,"cmd":"huge"})").dump(), R"({"error":"reply too long","id":5,"ok":false})");
  EXPECT_EQ(ask(R"({"id":6,"cmd":"sensor","name":"temp"})").dump(),
            R"({"id":6,"ok":true,"present":true,"unit":"C","value":25.0})");
  EXPECT_EQ(ask(R"({"id":7,"cmd":"sensor","name":"lid"})")["value"], nullptr);
  EXPECT_EQ(ask(R"({"id":8,"cmd":"sensor","name":"bme"})")["error"], "I2C timeout");
}

TEST_F(FtCore, RegistriesSayWhenTheyAreFull) {
  std::size_t added = 0;
  while (espfab_ft_add_command(core.get(), "extra", Product::my_info, nullptr)) ++added;
  EXPECT_EQ(added + 7, static_cast<std::size_t>(ESPFAB_FT_MAX_COMMANDS)) << "seven built-in commands";
  added = 0;
  while (espfab_ft_add_sensor(core.get(), "s", "u", Product::temp, nullptr)) ++added;
  EXPECT_EQ(added, static_cast<std::size_t>(ESPFAB_FT_MAX_SENSORS));
}

TEST_F(FtCore, MalformedLinesGetNoReply) {
  for (const std::string& line : std::vector<std::string>{
           "", "\r", "garbage", "{", "{\"id\":1", "{\"id\":1,\"cmd\":\"info\"}}", "{\"cmd\":\"info\"}",
           "{\"id\":\"1\",\"cmd\":\"info\"}", "[1]", "{\"id\":1,\"cmd\":\"info\",\"x\":1e999}",
           std::string("{\"id\":1,\"cmd\":\"in\xff"
                       "fo\"}"),
           "{\"id\":1,\"cmd\":\"\\ud800\"}"}) {
    feed(line + "\n");
    EXPECT_TRUE(lines().empty()) << line;
  }
  EXPECT_TRUE(board.calls.empty());
}

}  // namespace
}  // namespace espfab::test
