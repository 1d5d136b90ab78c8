// Shared by the label tests: the sample fields, error-code checks, a program looked up in PATH,
// and decoding a PNG with zbarimg.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "label/label_payload.hpp"
#include "support/run_command.hpp"
#include "util/error.hpp"

namespace espfab::label::test {

inline LabelFields sample_fields() { return LabelFields{"ESP-000123", "7c:df:a1:00:00:01", "2026-11-23"}; }

inline constexpr std::string_view kSamplePayload = "EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001";

// The Error that `action` throws (fails the test when it throws none).
inline Error thrown_by(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "no espfab::Error thrown";
  return InternalError("test.nothing_thrown", "nothing thrown");
}

inline std::filesystem::path find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return {};
}

// What zbarimg reads from the image (raw, trailing newline removed); "" when it finds no code.
inline std::string zbar_decode(const std::filesystem::path& image) {
  const std::filesystem::path zbarimg = find_program("zbarimg");
  EXPECT_FALSE(zbarimg.empty()) << "zbarimg (Debian package zbar-tools) is not installed";
  if (zbarimg.empty()) return {};
  const espfab::test::CommandResult result =
      espfab::test::run_command(zbarimg, {"--raw", "-q", "--nodbus", image.string()});
  std::string out = result.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace espfab::label::test
