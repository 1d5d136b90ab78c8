// The strings the station's preflight looks for in the images (station/preflight.hpp) are in the
// object code of the firmware cores, so a firmware that links the components carries them: the
// factory-test ready line's `"event":"ready"` and the identity log tag.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "station/preflight.hpp"

namespace espfab::test {
namespace {

bool file_contains(const char* path, std::string_view needle) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty()) << path;
  return std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end();
}

TEST(ContractMarkers, TheFactoryTestCoreCarriesTheReadyLineMarker) {
  EXPECT_TRUE(file_contains(ESPFAB_FT_CORE_LIBRARY, station::kFactoryTestReadyMarker));
}

TEST(ContractMarkers, TheIdentityCoreCarriesTheLogTag) {
  EXPECT_TRUE(file_contains(ESPFAB_IDENTITY_CORE_LIBRARY, station::kIdentityLogTag));
}

}  // namespace
}  // namespace espfab::test
