// Differential fuzzing of the factory-test protocol (docs/firmware-contract.md): one console line
// goes to the emulator's factory-test app and to the reference C core of firmware/ on the same
// board; they must answer alike (or both stay silent). The whole input also goes through the
// core's line assembly as raw bytes, which must never write anything but whole lines.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "emulator/factory_test_app.hpp"
#include "support/firmware/reference_factory_test.hpp"

using namespace espfab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto board = [] {
    emulator::FactoryTestDevice device;
    device.mac = "7c:df:a1:00:00:01";
    return emulator::FactoryTestBoard(device, emulator::parse_factory_test_faults("sensor_missing=imu"));
  };
  // One line (what the device's line assembly hands an app).
  const std::string_view line = input.substr(0, input.find('\n'));
  emulator::FactoryTestApp app(board());
  test::ReferenceFactoryTest core(board());
  if (app.handle_line(line) != core.handle_line(line)) std::abort();
  if (app.reset_requested() != core.reset_requested()) std::abort();
  // Raw bytes, any number of lines.
  test::ReferenceFactoryTest stream(board());
  (void)stream.feed(input);
  return 0;
}
