// Issue 18, an ESP-IDF project as input: a directory shaped exactly like an ESP-IDF build
// (flasher_args.json, project_description.json, config/sdkconfig.json, the binaries where idf.py
// puts them), made by the test from espfab-built images, is what the station provisions from —
// with a data partition the build flashes too — and what `espfab write-flash --idf-build` writes.
// `espfab check` refuses a build whose sdkconfig contradicts the profile, naming the key.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "support/emulator_process.hpp"
#include "support/idf_build_dir.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The demo's table plus a SPIFFS partition the build fills.
constexpr const char* kPartitions =
    "# Name,          Type, SubType,  Offset,   Size,     Flags\n"
    "esp_secure_cert, 0x3F, ,         0xD000,   0x2000,   encrypted\n"
    "nvs,             data, nvs,      0x10000,  0x6000,\n"
    "nvs_keys,        data, nvs_keys, 0x16000,  0x1000,   encrypted\n"
    "otadata,         data, ota,      0x17000,  0x2000,\n"
    "phy_init,        data, phy,      0x19000,  0x1000,\n"
    "factory,         app,  factory,  0x20000,  0x100000,\n"
    "ota_0,           app,  ota_0,    0x120000, 0x300000,\n"
    "ota_1,           app,  ota_1,    0x420000, 0x300000,\n"
    "storage,         data, spiffs,   0x720000, 0x10000,\n";

constexpr std::uint32_t kStorageOffset = 0x720000;

Bytes storage_image() {
  Bytes out(0x8000);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 13 + 5);
  return out;
}

struct Line {
  TempDir dir;
  std::filesystem::path profile;
};

// The demo assets, turned into a production build and a factory-test build, and a profile that
// names only the two build directories.
void make_line(Line& line, const json& sdkconfig) {
  const auto& dir = line.dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  write_text_file_atomic(dir / "partitions.csv", kPartitions);
  const auto table =
      run_espfab({"partition-table", (dir / "partitions.csv").string(), "-o", (dir / "partition-table.bin").string()});
  ASSERT_EQ(table.exit_code, 0) << table.err;

  IdfBuildSpec production;
  production.project_name = "espfab-demo-app";
  production.bootloader = read_file(dir / "images" / "bootloader-signed.bin");
  production.partition_table = read_file(dir / "partition-table.bin");
  production.app = read_file(dir / "images" / "production-app-signed.bin");
  production.app_offset = 0x120000;
  production.otadata_offset = 0x17000;
  production.encrypted = true;
  production.data = {{"storage", kStorageOffset, "storage.bin", storage_image(), false}};
  production.sdkconfig = sdkconfig;
  write_idf_build_dir(dir / "build", production);

  IdfBuildSpec factory_test = production;
  factory_test.project_name = "factory-test";
  factory_test.app = read_file(dir / "images" / "factory-test.bin");
  factory_test.app_offset = 0x20000;
  factory_test.encrypted = false;
  factory_test.data.clear();
  factory_test.sdkconfig = {{"IDF_TARGET", "esp32s3"}, {"ESPTOOLPY_FLASHSIZE", "8MB"}};
  write_idf_build_dir(dir / "factory-test-build", factory_test);

  std::string text = read_text_file(dir / "station.toml");
  write_text_file_atomic(dir / "demo.toml", text);  // the demo's own [images], file by file
  const auto begin = text.find("[images]");
  const auto end = text.find("\n[", begin + 1);
  ASSERT_NE(begin, std::string::npos);
  text.replace(begin, end - begin,
               "[images]\nidf_build = \"build\"\nfactory_test_idf_build = \"factory-test-build\"\n"
               "flash_size = \"8MB\"\n");
  line.profile = dir / "station.toml";
  write_text_file_atomic(line.profile, text);
}

TEST(IdfBuildE2e, TheStationProvisionsFromAnIdfBuildDirectoryWithItsDataPartition) {
  Line line;
  make_line(line, secure_sdkconfig());
  const auto check = run_espfab({"check", "--profile", line.profile.string(), "--offline"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;

  EmulatorProcess emulator(EmulatorOptions{2, "rfc2217", line.dir / "devices", {}});
  const auto run = run_espfab(station_run_args(line.profile, emulator, 2));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 2u);
  for (const auto& device : summary["devices"]) EXPECT_EQ(device["result"], "provisioned") << device;
  // The SPIFFS image is on each chip, in plaintext (its partition has no `encrypted` flag).
  const Bytes expected = storage_image();
  for (const char* dev : {"dev0", "dev1"}) {
    const Bytes flash = read_file(line.dir / "devices" / dev / "flash.bin");
    ASSERT_GE(flash.size(), kStorageOffset + expected.size());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), flash.begin() + kStorageOffset)) << dev;
  }
}

TEST(IdfBuildE2e, CheckRefusesABuildWhoseSdkconfigContradictsTheProfileNamingTheKey) {
  Line line;
  auto sdkconfig = secure_sdkconfig();
  sdkconfig["SECURE_FLASH_ENCRYPTION_MODE_RELEASE"] = false;
  sdkconfig["SECURE_FLASH_ENCRYPTION_MODE_DEVELOPMENT"] = true;
  sdkconfig["ESPTOOLPY_FLASHSIZE"] = "4MB";
  make_line(line, sdkconfig);
  const auto check = run_espfab({"check", "--profile", line.profile.string(), "--offline"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  const std::string all = check.out + check.err;
  EXPECT_NE(all.find("SECURE_FLASH_ENCRYPTION_MODE_RELEASE"), std::string::npos) << all;
  EXPECT_NE(all.find("ESPTOOLPY_FLASHSIZE"), std::string::npos) << all;

  // The same build against the demo's profile, before the profile names it.
  const auto demo = line.dir / "demo.toml";
  const auto against =
      run_espfab({"check", "--profile", demo.string(), "--offline", "--idf-build", (line.dir / "build").string()});
  EXPECT_EQ(against.exit_code, 2) << against.out << against.err;
  EXPECT_NE((against.out + against.err).find("SECURE_FLASH_ENCRYPTION_MODE_RELEASE"), std::string::npos)
      << against.out << against.err;
  EXPECT_NE(against.out.find(demo.string()), std::string::npos) << "the report names the profile checked";
  EXPECT_FALSE(std::filesystem::exists(line.dir / ".demo.toml.idf-build-check.toml")) << "the copy is removed";
}

TEST(IdfBuildE2e, WriteFlashWritesEveryFileOfTheBuildAtItsOffset) {
  Line line;
  make_line(line, secure_sdkconfig());
  EmulatorProcess emulator(EmulatorOptions{1, "socket", line.dir / "devices", {}});
  const auto write =
      run_espfab({"write-flash", "--port", emulator.url(), "--idf-build", (line.dir / "build").string(), "--json"});
  ASSERT_EQ(write.exit_code, 0) << write.out << write.err;
  const auto regions = json::parse(write.out)["regions"];
  ASSERT_EQ(regions.size(), 5u) << regions;  // bootloader, table, otadata, app, storage
  for (const auto& region : regions) EXPECT_TRUE(region["verified"].get<bool>()) << region;
  const auto out = line.dir / "app-read.bin";
  const Bytes app = read_file(line.dir / "build" / "espfab-demo-app.bin");
  const auto read =
      run_espfab({"read-flash", "--port", emulator.url(), "0x120000", std::to_string(app.size()), out.string()});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read_file(out), app);
}

}  // namespace
}  // namespace espfab::test
