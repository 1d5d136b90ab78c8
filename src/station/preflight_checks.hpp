// Inside the preflight (preflight.hpp): the findings collector with the profile's source places,
// and one function per group of checks, each in its own file (preflight_names.cpp,
// preflight_ca.cpp, preflight_images.cpp, preflight_targets.cpp).
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>

#include "station/firmware_set.hpp"
#include "station/preflight.hpp"
#include "station/station_profile.hpp"

namespace espfab::station::preflight {

class Findings {
 public:
  Findings(PreflightReport& report, const std::filesystem::path& profile_file, const toml::table* root)
      : report_(report), file_(profile_file), root_(root) {}

  // Marks a check as run (it shows in the report even when it finds nothing).
  void ran(const std::string& check) { report_.checks.push_back(check); }
  // `key` is a dotted path in the profile ("serial.prefix"); its file:line:column becomes `where`.
  void error(const std::string& check, const std::string& key, std::string message, std::string hint);
  void warning(const std::string& check, const std::string& key, std::string message, std::string hint);
  void add(PreflightFinding finding) { report_.findings.push_back(std::move(finding)); }
  std::string where(const std::string& key) const;

 private:
  PreflightReport& report_;
  std::filesystem::path file_;
  const toml::table* root_;
};

void check_names(const StationProfile& profile, Findings& findings);
void check_ca(const StationProfile& profile, Findings& findings);
// Loads the images into `firmware` when they load at all.
void check_images(const StationProfile& profile, Findings& findings, std::optional<FirmwareSet>& firmware);
void check_security_intent(const StationProfile& profile, Findings& findings);
void check_targets(const StationProfile& profile, const PreflightOptions& options, Findings& findings);

// The CA certificate devices will chain to, as the profile's [ca] names it ("" when unreadable).
std::string ca_certificate_pem(const StationProfile& profile);

}  // namespace espfab::station::preflight
