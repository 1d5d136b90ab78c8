#include "station/preflight.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "station/preflight_checks.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace preflight {

void Findings::error(const std::string& check, const std::string& key, std::string message, std::string hint) {
  add({PreflightFinding::Severity::Error, check, where(key), std::move(message), std::move(hint)});
}

void Findings::warning(const std::string& check, const std::string& key, std::string message, std::string hint) {
  add({PreflightFinding::Severity::Warning, check, where(key), std::move(message), std::move(hint)});
}

std::string Findings::where(const std::string& key) const {
  if (key.empty() || root_ == nullptr) return file_.string();
  const auto node = root_->at_path(key);
  if (!node) return file_.string();
  const auto& at = node.node()->source().begin;
  return fmt::format("{}:{}:{}", file_.string(), at.line, at.column);
}

// Secure Boot and flash encryption off only when the profile says so (security_profile_file):
// then a warning on every check and run.
void check_security_intent(const StationProfile& profile, Findings& findings) {
  findings.ran("security.intent");
  for (const auto& opt_out : profile.security_opt_outs) {
    findings.warning("security.intent", "security",
                     fmt::format("{}: devices are provisioned without it (on purpose, the profile says so)", opt_out),
                     "this warning is shown on every run and kept in every device record");
  }
}

}  // namespace preflight

namespace {

// The profile loader's problems ("file:line:col: what", one per line) as findings.
void add_load_problems(const BadInputError& error, const std::filesystem::path& file, preflight::Findings& findings) {
  std::istringstream lines(error.message());
  std::string line;
  bool listed = false;
  while (std::getline(lines, line)) {
    if (line.find("problem(s)") != std::string::npos && !listed) continue;
    const auto text = line.substr(std::min(line.size(), line.find_first_not_of(' ')));
    std::string where;
    std::string message = text;
    const std::string prefix = file.string() + ":";
    if (text.rfind(prefix, 0) == 0) {
      // "file:L:C: message" or "file: message"
      std::size_t end = prefix.size();
      for (int field = 0; field < 2 && end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]));
           ++field) {
        end = text.find(':', end) + 1;
      }
      where = text.substr(0, end - 1);
      message = text.substr(std::min(text.size(), end + 1));
    }
    findings.add({PreflightFinding::Severity::Error, "profile", where, message, error.hint()});
    listed = true;
  }
}

std::string content_hash(const StationProfile& profile, const std::string& profile_text) {
  Bytes all;  // each part behind "label:size\n", so no two different inputs hash the same
  const auto add = [&](std::string_view label, ByteView bytes) {
    const std::string header = fmt::format("{}:{}\n", label, bytes.size());
    all.insert(all.end(), header.begin(), header.end());
    all.insert(all.end(), bytes.begin(), bytes.end());
  };
  const auto add_text = [&](std::string_view label, std::string_view text) {
    add(label, ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  };
  add_text("profile", profile_text);
  for (const auto& [label, path] : {std::pair{"bootloader", profile.images.bootloader},
                                    {"partition_table", profile.images.partition_table},
                                    {"factory_test_app", profile.images.factory_test_app},
                                    {"production_app", profile.images.production_app}}) {
    const Bytes bytes = std::filesystem::is_regular_file(path) ? read_file(path) : Bytes{};
    add(label, bytes);
  }
  for (const auto& data : profile.images.data) {
    add("data:" + data.partition + fmt::format("@{}", data.offset.value_or(0)),
        std::filesystem::is_regular_file(data.file) ? read_file(data.file) : Bytes{});
  }
  for (const auto& digest : profile.security.secure_boot_digests) add("secure_boot_digest", digest);
  add_text("ca_certificate", preflight::ca_certificate_pem(profile));
  const auto digest = crypto::sha256(all);
  return to_hex(ByteView(digest.data(), digest.size()));
}

}  // namespace

std::size_t PreflightReport::errors() const {
  return static_cast<std::size_t>(std::count_if(
      findings.begin(), findings.end(), [](const auto& f) { return f.severity == PreflightFinding::Severity::Error; }));
}

std::size_t PreflightReport::warnings() const { return findings.size() - errors(); }

std::string_view severity_name(PreflightFinding::Severity severity) {
  return severity == PreflightFinding::Severity::Error ? "error" : "warning";
}

PreflightReport run_preflight(const std::filesystem::path& profile_path, const PreflightOptions& options) {
  PreflightReport report;
  report.profile = profile_path;
  const std::string text = read_text_file(profile_path);
  toml::table root;
  const toml::table* located = nullptr;
  try {
    root = toml::parse(text, profile_path.string());
    located = &root;
  } catch (const toml::parse_error&) {
    // load_station_profile reports the syntax error with its place.
  }
  preflight::Findings findings(report, profile_path, located);
  findings.ran("profile");
  StationProfile profile;
  try {
    profile = load_station_profile(profile_path);
  } catch (const BadInputError& error) {
    add_load_problems(error, profile_path, findings);
    return report;
  }
  preflight::check_names(profile, findings);
  preflight::check_security_intent(profile, findings);
  preflight::check_ca(profile, findings);
  std::optional<FirmwareSet> firmware;
  preflight::check_images(profile, findings, firmware);
  preflight::check_targets(profile, options, findings);
  report.content_hash = content_hash(profile, text);
  return report;
}

nlohmann::json to_json(const PreflightReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings) {
    findings.push_back({{"severity", severity_name(f.severity)},
                        {"check", f.check},
                        {"where", f.where},
                        {"message", f.message},
                        {"hint", f.hint}});
  }
  return {{"profile", report.profile.string()}, {"passed", report.passed()}, {"errors", report.errors()},
          {"warnings", report.warnings()},      {"checks", report.checks},   {"findings", findings},
          {"content_hash", report.content_hash}};
}

}  // namespace espfab::station
