// Partition layouts other than the demo's: the factory-test app where the profile says (a factory
// partition, ota_1, or the production slot itself), otadata only when the table has one, data
// images written encrypted or not by their partition's flag. Each layout is provisioned on an
// in-process virtual chip from flash-factory to verify-boot; what the chip booted and holds is read
// from the chip itself.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "emulator/virtual_device.hpp"
#include "integration/station/served_device.hpp"
#include "security/flash_encryption.hpp"
#include "service/demo_assets.hpp"
#include "station/firmware_set.hpp"
#include "support/station/step_harness.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

using test::ServedDevice;
using test::StepHarness;

Bytes pattern(std::size_t size, std::uint8_t seed) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + (i >> 8));
  return out;
}

struct Layout {
  const char* name;
  const char* csv;            // the partition table
  const char* images_keys;    // added to [images]
  const char* expected_slot;  // the production app's partition
  const char* test_slot;      // the factory-test app's partition
};

void PrintTo(const Layout& layout, std::ostream* out) { *out << layout.name; }

// The data partitions are the same in every layout; the apps differ, and so does the place of
// esp_secure_cert (found by its type wherever it is).

const Layout kLayouts[] = {
    {"factory_and_ota",
     "esp_secure_cert, 0x3F, , 0xD000,   0x2000,   encrypted\n"
     "nvs,      data, nvs,     0x10000,  0x6000,\n"
     "otadata,  data, ota,     0x17000,  0x2000,\n"
     "storage,  data, spiffs,  0x19000,  0x4000,\n"
     "model,    data, 0x40,    0x1D000,  0x2000,   encrypted\n"
     "factory,  app,  factory, 0x20000,  0x100000,\n"
     "ota_0,    app,  ota_0,   0x120000, 0x300000,\n"
     "ota_1,    app,  ota_1,   0x420000, 0x300000,\n",
     "", "ota_0", "factory"},
    {"ota_only_test_in_ota_1",
     "esp_secure_cert, 0x3F, , 0xD000,   0x2000,   encrypted\n"
     "nvs,      data, nvs,     0x10000,  0x6000,\n"
     "otadata,  data, ota,     0x17000,  0x2000,\n"
     "storage,  data, spiffs,  0x19000,  0x4000,\n"
     "model,    data, 0x40,    0x1D000,  0x2000,   encrypted\n"
     "ota_0,    app,  ota_0,   0x20000,  0x300000,\n"
     "ota_1,    app,  ota_1,   0x320000, 0x300000,\n",
     "factory_test_slot = \"ota_1\"\n", "ota_0", "ota_1"},
    {"ota_only_test_in_the_production_slot",
     "esp_secure_cert, 0x3F, , 0xD000,   0x2000,   encrypted\n"
     "nvs,      data, nvs,     0x10000,  0x6000,\n"
     "otadata,  data, ota,     0x17000,  0x2000,\n"
     "storage,  data, spiffs,  0x19000,  0x4000,\n"
     "model,    data, 0x40,    0x1D000,  0x2000,   encrypted\n"
     "ota_0,    app,  ota_0,   0x20000,  0x300000,\n"
     "ota_1,    app,  ota_1,   0x320000, 0x300000,\n",
     "", "ota_0", "ota_0"},
    {"single_factory_app",
     "nvs,      data, nvs,     0x10000,  0x6000,\n"
     "storage,  data, spiffs,  0x19000,  0x4000,\n"
     "model,    data, 0x40,    0x1D000,  0x2000,   encrypted\n"
     "factory,  app,  factory, 0x20000,  0x300000,\n"
     "esp_secure_cert, 0x3F, , 0x320000, 0x2000,   encrypted\n",
     "", "factory", "factory"},
};

constexpr const char* kDataImages =
    "\n[[images.data]]\npartition = \"storage\"\nfile = \"images/storage.bin\"\n"
    "\n[[images.data]]\npartition = \"model\"\nfile = \"images/model.bin\"\n";

class LayoutsOnAChip : public ::testing::TestWithParam<Layout> {
 protected:
  static void SetUpTestSuite() {
    assets_dir_ = std::make_unique<test::TempDir>();
    demo_profile_ = service::prepare_demo_assets(assets_dir_->path()).profile;
    write_file_atomic(assets_dir_->path() / "images" / "storage.bin", pattern(0x3000, 1));
    write_file_atomic(assets_dir_->path() / "images" / "model.bin", pattern(0x1800, 2));
  }
  static void TearDownTestSuite() { assets_dir_.reset(); }

  // The demo profile with this layout's table, [images] keys and the two data images.
  std::filesystem::path profile_for(const Layout& layout) {
    const auto dir = assets_dir_->path();
    const std::string csv_name = std::string("images/") + layout.name + ".csv";
    write_text_file_atomic(dir / csv_name, std::string("# Name, Type, SubType, Offset, Size, Flags\n") + layout.csv);
    std::string text = read_text_file(demo_profile_);
    const std::string table_line = "partition_table = \"images/partitions.csv\"\n";
    const auto at = text.find(table_line);
    EXPECT_NE(at, std::string::npos);
    text.replace(at, table_line.size(), "partition_table = \"" + csv_name + "\"\n" + layout.images_keys);
    text += kDataImages;
    const auto profile = dir / (std::string(layout.name) + ".toml");
    write_text_file_atomic(profile, text);
    return profile;
  }

  static inline std::unique_ptr<test::TempDir> assets_dir_;
  static inline std::filesystem::path demo_profile_;
};

const image::PartitionEntry& partition(const FirmwareSet& fw, const std::string& name) {
  for (const auto& e : fw.table.entries)
    if (e.name == name) return e;
  throw std::runtime_error("no partition " + name);
}

TEST_P(LayoutsOnAChip, TheTestAppBootsFromItsSlotAndTheProductionAppFromItsOwnWithTheDataInPlace) {
  const Layout& layout = GetParam();
  ServedDevice served(emulator::DeviceConfig{});
  StepHarness h(served.url());
  h.profile = load_station_profile(profile_for(layout));
  h.firmware = load_firmware_set(h.profile.images);
  const auto& fw = h.firmware;
  ASSERT_EQ(fw.production_slot->name, layout.expected_slot);
  ASSERT_EQ(fw.factory_test_slot->name, layout.test_slot);

  // A reworked unit: a bootable app is already in the production slot. When the test app has a
  // slot of its own, only otadata pointing at it (or the factory default) makes it boot instead.
  if (fw.slots_differ()) served.chip().flash().program(fw.production_slot->offset, *fw.factory_app);
  for (const char* step : {"connect", "flash-factory", "hardware-test"}) {
    const auto out = h.run(step);
    ASSERT_EQ(out.verdict, StepVerdict::Continue) << layout.name << " " << step << ": " << out.reason;
  }
  // The hardware test ran, so the factory-test app booted from its slot.
  EXPECT_NE(
      h.ctx.console().find(fmt::format("Loaded app from partition at offset 0x{:x}", fw.factory_test_slot->offset)),
      std::string::npos)
      << layout.name;

  for (const char* step : {"allocate-serial", "issue-identity", "inject-identity", "plan-security", "burn-fe-key"}) {
    const auto out = h.run(step);
    ASSERT_EQ(out.verdict, StepVerdict::Continue) << layout.name << " " << step << ": " << out.reason;
  }
  const auto& fe_key_ref = h.output<SecurityPlan>()->fe_key;
  ASSERT_TRUE(fe_key_ref);
  const security::FlashEncryptionKey fe_key(SecretBytes(fe_key_ref->key_file_bytes().view()));
  for (const char* step : {"flash-production", "burn-efuses"}) {
    const auto out = h.run(step);
    ASSERT_EQ(out.verdict, StepVerdict::Continue) << layout.name << " " << step << ": " << out.reason;
  }
  const auto boot = h.run("verify-boot");
  ASSERT_EQ(boot.verdict, StepVerdict::Continue) << layout.name << ": " << boot.reason;
  EXPECT_EQ(boot.details["app_offset"], fw.production_slot->offset) << layout.name;

  // storage has no `encrypted` flag: plaintext on the chip; model has it: the chip holds the
  // ciphertext of this device's key.
  const auto& storage = partition(fw, "storage");
  const auto raw_storage = served.chip().flash().view(storage.offset, 0x3000);
  EXPECT_EQ(Bytes(raw_storage.begin(), raw_storage.end()), pattern(0x3000, 1)) << layout.name;
  const auto& model = partition(fw, "model");
  const auto raw_model = served.chip().flash().view(model.offset, 0x1800);
  Bytes model_bytes(raw_model.begin(), raw_model.end());
  EXPECT_NE(model_bytes, pattern(0x1800, 2)) << layout.name << ": the encrypted partition holds plaintext";
  security::decrypt_flash_in_place(fe_key, model.offset, model_bytes);
  EXPECT_EQ(model_bytes, pattern(0x1800, 2)) << layout.name;

  // The identity went where the table put esp_secure_cert (after the app in one layout).
  const auto identity = served.chip().flash().view(fw.secure_cert->offset, 0x1000);
  EXPECT_NE(Bytes(identity.begin(), identity.end()), Bytes(0x1000, 0xFF)) << layout.name;

  if (fw.slots_differ()) {
    const auto header = served.chip().flash().view(fw.factory_test_slot->offset, 0x1000);
    EXPECT_EQ(Bytes(header.begin(), header.end()), Bytes(0x1000, 0xFF))
        << layout.name << ": the factory-test app must never boot again";
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, LayoutsOnAChip, ::testing::ValuesIn(kLayouts),
                         [](const ::testing::TestParamInfo<Layout>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(LayoutRules, AnOtaSlotWithoutOtadataToSelectItIsRefused) {
  test::TempDir dir;
  const auto profile = service::prepare_demo_assets(dir.path()).profile;
  write_text_file_atomic(dir / "images" / "partitions.csv",
                         std::string("# Name, Type, SubType, Offset, Size, Flags\n") +
                             "esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted\n"
                             "nvs, data, nvs, 0x10000, 0x6000,\n"
                             "factory, app, factory, 0x20000, 0x100000,\n"
                             "ota_0,   app, ota_0,   0x120000, 0x300000,\n");
  const auto loaded = load_station_profile(profile);
  try {
    (void)load_firmware_set(loaded.images);
    FAIL() << "a production slot nothing can select was accepted";
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "station.images");
    EXPECT_NE(error.message().find("'ota_0' can only be booted through otadata"), std::string::npos) << error.message();
  }
}

}  // namespace
}  // namespace espfab::station
