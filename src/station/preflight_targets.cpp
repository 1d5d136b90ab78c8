// Preflight: where registrations and labels go. An unreachable broker or printer is a warning, not
// an error: the station's outbox keeps the items and delivers them when the target is back.
#include <unistd.h>

#include <fmt/format.h>

#include "registry/broker_settings.hpp"
#include "station/preflight_checks.hpp"
#include "transport/socket_transport.hpp"
#include "util/error.hpp"

namespace espfab::station::preflight {
namespace {

// "" when a TCP connection to host:port opens within the timeout, else why not.
std::string unreachable(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  try {
    transport::connect_tcp(host, port, timeout);
    return "";
  } catch (const Error& error) {
    return error.message();
  }
}

// "" when files can be written in `dir`, or it can be created (its nearest existing parent is a
// writable directory); the check itself creates nothing.
std::string unwritable(const std::filesystem::path& dir) {
  auto existing = std::filesystem::absolute(dir);
  while (!std::filesystem::exists(existing) && existing.has_parent_path() && existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!std::filesystem::is_directory(existing)) return fmt::format("{} is not a directory", existing.string());
  if (::access(existing.c_str(), W_OK) != 0) return fmt::format("{} is not writable", existing.string());
  return "";
}

}  // namespace

void check_targets(const StationProfile& profile, const PreflightOptions& options, Findings& findings) {
  findings.ran("targets.registration");
  if (const auto& broker = profile.registration.broker) {
    if (options.probe_targets) {
      const auto address = registry::parse_broker_url(broker->url);
      if (const auto why = unreachable(address.host, static_cast<std::uint16_t>(address.port), options.probe_timeout);
          !why.empty()) {
        findings.warning("targets.registration", "registration.broker",
                         fmt::format("the broker {} cannot be reached now: {}", broker->url, why),
                         "registrations wait in the station's outbox until it is back; check the address if it "
                         "should be up");
      }
    }
  } else if (const auto why = unwritable(profile.registration.manifest.parent_path()); !why.empty()) {
    findings.warning("targets.registration", "registration.manifest",
                     fmt::format("the registration manifest's directory {}: {}",
                                 profile.registration.manifest.parent_path().string(), why),
                     "give a writable path");
  }
  findings.ran("targets.label");
  switch (profile.label.printer) {
    case LabelSpec::Printer::RawTcp:
      if (!options.probe_targets) break;
      if (const auto why = unreachable(profile.label.host, profile.label.port, options.probe_timeout); !why.empty()) {
        findings.warning("targets.label", "label.address",
                         fmt::format("the label printer {}:{} cannot be reached now: {}", profile.label.host,
                                     profile.label.port, why),
                         "labels wait in the station's outbox until it is back; check the address");
      }
      break;
    case LabelSpec::Printer::Directory:
      if (const auto why = unwritable(profile.labels_dir); !why.empty()) {
        findings.warning("targets.label", "label.dir",
                         fmt::format("the label directory {}: {}", profile.labels_dir.string(), why),
                         "give a writable directory");
      }
      break;
    case LabelSpec::Printer::Cups: break;  // the CUPS queue is checked when the first label prints
  }
}

}  // namespace espfab::station::preflight
