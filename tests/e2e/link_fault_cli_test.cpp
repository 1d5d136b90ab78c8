// Fixture faults injected by espfab-emu (--fault) against the espfab CLI (issue 4 acceptance
// "Faults", issue 3 point 8): a wrong chip is refused before anything is written, a link that
// dies mid-write gives an error naming the region and offset, and bit flips on the line are
// retried until the flash holds exactly the image.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "support/emulator_process.hpp"
#include "support/esptool_js_stub.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace espfab::test {
namespace {

std::string image_bytes(std::size_t size) {
  std::mt19937 rng(20261124);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string write_image(const TempDir& dir, const std::string& data) {
  const auto path = dir.path() / "image.bin";
  std::ofstream(path, std::ios::binary) << data;
  return path.string();
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(LinkFaultCli, WrongChipIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  EmulatorOptions options;
  options.state_dir = dir.path() / "state";
  options.extra_args = {"--fault", "0:wrong_chip", "--flash-size", "4MB"};
  const std::string image = write_image(dir, image_bytes(20000));
  {
    EmulatorProcess emu(options);
    const auto result = run_espfab({"write-flash", "--port", emu.url(), "0x10000", image});
    EXPECT_EQ(result.exit_code, 6) << result.err;
    EXPECT_NE(result.err.find("ESP32-C3"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("nothing was written"), std::string::npos) << result.err;
  }
  const std::string flash = read_all(dir.path() / "state" / "dev0" / "flash.bin");
  ASSERT_EQ(flash.size(), 4u * 1024 * 1024);
  EXPECT_EQ(flash.find_first_not_of('\xff'), std::string::npos) << "the flash was touched";
}

TEST(LinkFaultCli, ALinkThatDiesMidWriteNamesTheRegionAndOffset) {
  TempDir dir;
  EmulatorOptions options;
  options.extra_args = {"--fault", "0:drop_after=30000"};
  EmulatorProcess emu(options);
  const std::string image = write_image(dir, image_bytes(100000));
  const auto result = run_espfab({"write-flash", "--port", emu.url(), "0x10000", image});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("image.bin @0x10000"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("flash 0x"), std::string::npos) << result.err;
}

// Bit flips on the wire: the damaged blocks are sent again and the flash ends up exact. The ROM
// loader's 1 KiB blocks at 50 flips per million bytes; the stub's 16 KiB blocks at 5 (at 50 most of
// them would arrive damaged three times running).
void bit_flips_are_retried(unsigned ppm, const std::string& loader_option) {
  TempDir dir;
  EmulatorOptions options;
  options.extra_args = {"--fault", "0:bitflip=" + std::to_string(ppm)};
  EmulatorProcess emu(options);
  const std::string data = image_bytes(300000);
  const std::string image = write_image(dir, data);
  const auto written =
      run_espfab({"write-flash", "--port", emu.url(), loader_option, "--no-compress", "0x10000", image});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_NE(written.err.find("retrying"), std::string::npos) << "the fault should have hit at least one block";
  const auto back = dir.path() / "back.bin";
  const auto read = run_espfab({"read-flash", "--port", emu.url(), "0x10000", "300000", back.string()});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(read_all(back) == data);
}

TEST(LinkFaultCli, BitFlipsAreRetriedAndTheFlashIsExactWithTheRomLoader) { bit_flips_are_retried(50, "--no-stub"); }

TEST(LinkFaultCli, BitFlipsAreRetriedAndTheFlashIsExactWithTheStub) {
  bit_flips_are_retried(5, "--stub=" + esptool_js_stub().path.string());
}

}  // namespace
}  // namespace espfab::test

namespace espfab::test {
namespace {

TEST(LinkFaultCli, PowerLossDuringAnEfuseProgramIsDetectedAndTheChipIsNotBurnedFurther) {
  EmulatorOptions options;
  options.protocol = "rfc2217";  // the next connection resets the chip (DTR/RTS), as a fixture does
  options.extra_args = {"--fault", "0:efuse_power_loss=1"};
  EmulatorProcess emu(options);
  // The first program cycle (the flash-encryption key block) loses power half-way.
  const auto burn = run_espfab({"efuse", "burn", "--port", emu.url(), "--flash-encryption", "xts-128", "--keep-jtag",
                                "--final-lock", "none", "--confirm"});
  EXPECT_EQ(burn.exit_code, 3) << burn.err;
  // After the reset the chip reports the half-written RS block ...
  const auto check = run_espfab({"efuse", "check", "--port", emu.url()});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("BLOCK4"), std::string::npos) << check.out;
  // ... and the executor refuses to burn anything more into it.
  const auto again = run_espfab({"efuse", "burn", "--port", emu.url(), "--flash-encryption", "xts-128", "--keep-jtag",
                                 "--final-lock", "none", "--confirm"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("security.burn.efuse_errors"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace espfab::test

namespace espfab::test {
namespace {

TEST(LinkFaultCli, AModuleWithoutFlashIsReportedNotWritten) {
  TempDir dir;
  EmulatorOptions options;
  options.extra_args = {"--fault", "0:no_flash"};
  EmulatorProcess emu(options);
  const auto id = run_espfab({"flash-id", "--port", emu.url()});
  EXPECT_NE(id.err.find("the flash chip does not answer"), std::string::npos) << id.out << id.err;
  const std::string image = write_image(dir, image_bytes(20000));
  const auto written = run_espfab({"write-flash", "--port", emu.url(), "0x10000", image});
  EXPECT_NE(written.exit_code, 0);
  EXPECT_NE(written.err.find("0x10000"), std::string::npos) << written.err;
}

}  // namespace
}  // namespace espfab::test
