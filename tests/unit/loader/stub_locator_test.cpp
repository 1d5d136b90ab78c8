// The flasher stub search (src/loader/stub_locator.hpp): --stub, then ESPFAB_STUB, then the
// installed esptool-js package directories in order, else the ROM loader; --no-stub wins; a named
// file that is missing is an error, never a silent ROM fall-back.
#include "loader/stub_locator.hpp"

#include <gtest/gtest.h>

#include "chip/esp32c3.hpp"
#include "chip/esp32s3.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::loader {
namespace {

using test::TempDir;

constexpr const char* kStubJson =
    R"({"entry": 1077413304, "text": "AAEC", "text_start": 1077411840, "data": "AwQ=", "data_start": 1070164916})";

// An esptool-js package tree holding `chip_file` under <dir>/node_modules/…/stub_flasher/.
std::filesystem::path install_package(const std::filesystem::path& dir, const std::string& chip_file) {
  const auto file = dir / "node_modules/esptool-js/lib/targets/stub_flasher" / chip_file;
  std::filesystem::create_directories(file.parent_path());
  write_text_file_atomic(file, kStubJson);
  return file;
}

TEST(StubLocator, TheInstalledPackageIsTheDefault) {
  TempDir dir;
  const auto file = install_package(dir / "pkg", "esp32s3.json");
  StubRequest request;
  request.package_dirs = {dir / "missing", dir / "pkg"};
  const auto choice = locate_stub(request, chip::kEsp32s3);
  EXPECT_EQ(choice.origin, StubOrigin::InstalledPackage);
  EXPECT_EQ(choice.path, file);
  EXPECT_NE(choice.describe().find("esptool-js package"), std::string::npos);
  const auto stub = load_stub(choice);
  ASSERT_TRUE(stub.has_value());
  EXPECT_EQ(stub->text, (Bytes{0, 1, 2}));
  EXPECT_EQ(stub->data, (Bytes{3, 4}));
}

TEST(StubLocator, TheChipNamesItsStubFile) {
  TempDir dir;
  install_package(dir / "pkg", "esp32s3.json");
  StubRequest request;
  request.package_dirs = {dir / "pkg"};
  EXPECT_EQ(locate_stub(request, chip::kEsp32c3).origin, StubOrigin::NotFound) << "no esp32c3.json installed";
}

TEST(StubLocator, TheFirstPackageDirectoryThatHoldsOneWins) {
  TempDir dir;
  const auto first = install_package(dir / "a", "esp32s3.json");
  install_package(dir / "b", "esp32s3.json");
  StubRequest request;
  request.package_dirs = {dir / "a", dir / "b"};
  EXPECT_EQ(locate_stub(request, chip::kEsp32s3).path, first);
}

TEST(StubLocator, TheEnvironmentComesBeforeThePackageAndTheOptionBeforeBoth) {
  TempDir dir;
  install_package(dir / "pkg", "esp32s3.json");
  const auto env_file = dir / "env.json";
  const auto option_file = dir / "option.json";
  write_text_file_atomic(env_file, kStubJson);
  write_text_file_atomic(option_file, kStubJson);
  StubRequest request;
  request.package_dirs = {dir / "pkg"};
  request.environment = env_file.string();
  EXPECT_EQ(locate_stub(request, chip::kEsp32s3).origin, StubOrigin::Environment);
  EXPECT_EQ(locate_stub(request, chip::kEsp32s3).path, env_file);
  request.file = option_file;
  EXPECT_EQ(locate_stub(request, chip::kEsp32s3).origin, StubOrigin::Option);
  EXPECT_EQ(locate_stub(request, chip::kEsp32s3).path, option_file);
}

TEST(StubLocator, NoStubWinsOverEverything) {
  TempDir dir;
  install_package(dir / "pkg", "esp32s3.json");
  StubRequest request;
  request.package_dirs = {dir / "pkg"};
  request.environment = (dir / "nothing-here.json").string();
  request.file = dir / "nothing-there.json";
  request.disabled = true;
  const auto choice = locate_stub(request, chip::kEsp32s3);
  EXPECT_EQ(choice.origin, StubOrigin::Disabled);
  EXPECT_FALSE(load_stub(choice).has_value());
  EXPECT_NE(choice.describe().find("--no-stub"), std::string::npos);
}

TEST(StubLocator, NothingFoundIsTheRomLoaderAndSaysHowToGetAStub) {
  TempDir dir;
  StubRequest request;
  request.package_dirs = {dir / "empty"};
  const auto choice = locate_stub(request, chip::kEsp32s3);
  EXPECT_EQ(choice.origin, StubOrigin::NotFound);
  EXPECT_FALSE(load_stub(choice).has_value());
  EXPECT_NE(choice.describe().find("scripts/setup"), std::string::npos) << choice.describe();
}

TEST(StubLocator, AMissingNamedFileIsAnErrorNotAFallBack) {
  TempDir dir;
  install_package(dir / "pkg", "esp32s3.json");
  StubRequest request;
  request.package_dirs = {dir / "pkg"};
  request.environment = (dir / "typo.json").string();
  test::expect_error<BadInputError>([&] { locate_stub(request, chip::kEsp32s3); }, "loader.stub_missing");
  request.environment.reset();
  request.file = dir / "typo.json";
  test::expect_error<BadInputError>([&] { locate_stub(request, chip::kEsp32s3); }, "loader.stub_missing");
}

}  // namespace
}  // namespace espfab::loader
