#include "support/esptool_js_stub.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string_view>

#include "support/test_paths.hpp"

namespace espfab::test {
namespace {

Bytes decode_base64(std::string_view text) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Bytes out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) continue;  // padding
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<std::uint8_t>(bits >> count));
    }
  }
  return out;
}

StubFile load() {
  StubFile stub;
  stub.path = build_dir() / "tests/e2e/esptool-js/work/node_modules/esptool-js/lib/targets/stub_flasher/esp32s3.json";
  std::ifstream in(stub.path);
  if (!in) {
    throw std::runtime_error("no esptool-js stub at " + stub.path.string() +
                             "; run the tests through ctest (fixture esptool_js_modules installs esptool-js 0.7.0)");
  }
  const auto json = nlohmann::json::parse(in);
  stub.entry = json.at("entry").get<std::uint32_t>();
  stub.text_start = json.at("text_start").get<std::uint32_t>();
  stub.data_start = json.at("data_start").get<std::uint32_t>();
  stub.text = decode_base64(json.at("text").get<std::string>());
  stub.data = decode_base64(json.at("data").get<std::string>());
  return stub;
}

}  // namespace

const StubFile& esptool_js_stub() {
  static const StubFile stub = load();
  return stub;
}

}  // namespace espfab::test
