// What `espfab demo` provisions with, made with espfab's own libraries: on first use a demo CA and
// a demo Secure Boot V2 signing key (RSA-3072, 0600), and on every run the images (a bootloader
// and production app signed with that key, the factory-test app), the partition table and the
// station profile that ties them together.
#pragma once

#include <cstddef>
#include <filesystem>

namespace espfab::service {

struct DemoAssets {
  std::filesystem::path dir;
  std::filesystem::path profile;  // <dir>/station.toml
};

// The hardware test's loopback pair the demo profile checks (a gpio_stuck fault on its input fails it).
inline constexpr int kDemoLoopbackOut = 4;
inline constexpr int kDemoLoopbackIn = 5;

// `production_app_code` bytes of code in the production app (256 KiB by default).
DemoAssets prepare_demo_assets(const std::filesystem::path& dir, std::size_t production_app_code = 0x40000);

}  // namespace espfab::service
