// Preflight: everything about a station profile that can be proven without a device, checked before
// the first fixture is opened (`espfab check`, and `espfab run` before it touches anything). A
// finding is an error (the run is refused) or a warning (shown on every run), with the place in the
// profile it comes from and the fix. The list of checks is in docs/station.md ("Preflight").
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace espfab::station {

struct PreflightFinding {
  enum class Severity { Error, Warning };
  Severity severity = Severity::Error;
  std::string check;  // the check's name: "names.serial", "ca.validity", "images.signature", ...
  std::string where;  // "station.toml:12:10", a file path, or "" (the profile as a whole)
  std::string message;
  std::string hint;
};

struct PreflightReport {
  std::filesystem::path profile;
  std::vector<std::string> checks;  // every check that ran, in order
  std::vector<PreflightFinding> findings;
  // SHA-256 over the profile text, the images, the Secure Boot keys' digests and the CA
  // certificate: what a rehearsal proves, and what `espfab run` compares with the last rehearsal.
  std::string content_hash;

  std::size_t errors() const;
  std::size_t warnings() const;
  bool passed() const { return errors() == 0; }
};

struct PreflightOptions {
  bool probe_targets = true;  // try to reach the broker and the label printer (warnings only)
  std::chrono::milliseconds probe_timeout{1500};
};

// Never throws for problems of the profile: they are findings.
PreflightReport run_preflight(const std::filesystem::path& profile, const PreflightOptions& options = {});

nlohmann::json to_json(const PreflightReport& report);
std::string_view severity_name(PreflightFinding::Severity severity);

// The firmware contract's markers that a plaintext image must carry (docs/firmware-contract.md §4): the
// factory-test firmware's ready line and the production firmware's identity log tag.
inline constexpr std::string_view kFactoryTestReadyMarker = "\"event\":\"ready\"";
inline constexpr std::string_view kIdentityLogTag = "espfab_identity";

}  // namespace espfab::station
