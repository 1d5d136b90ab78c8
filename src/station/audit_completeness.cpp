#include "station/audit_completeness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>

namespace espfab::station {
namespace {

// The certificates the audit log says were issued (issue lines and reconciliations).
std::set<std::string> audited_certificates(const std::vector<nlohmann::json>& entries) {
  std::set<std::string> out;
  for (const auto& e : entries) {
    const std::string action = e.value("action", "");
    const auto& d = e.value("details", nlohmann::json::object());
    if (!d.is_object()) continue;
    if ((action == "identity.issued" || action == "identity.reissued") && d.contains("certificate_sha256")) {
      out.insert(d["certificate_sha256"].get<std::string>());
    }
    if (action == "identity.sign.reconciled" && d.contains("certificates")) {
      for (const auto& c : d["certificates"]) out.insert(c.value("certificate_sha256", ""));
    }
  }
  return out;
}

// (mac, block) of every eFuse block the audit log says was burned or found burned.
std::set<std::pair<std::string, unsigned>> audited_burns(const std::vector<nlohmann::json>& entries) {
  std::set<std::pair<std::string, unsigned>> out;
  for (const auto& e : entries) {
    const std::string action = e.value("action", "");
    const auto& d = e.value("details", nlohmann::json::object());
    if (!d.is_object() || !d.contains("block")) continue;
    if (action == "efuse.burned" || action == "efuse.final_lock" || action == "efuse.burn.reconciled") {
      out.insert({e.value("mac", ""), d["block"].get<unsigned>()});
    }
  }
  return out;
}

}  // namespace

void check_audit_completeness(const std::vector<nlohmann::json>& entries, StationDb& db,
                              const std::optional<std::vector<pki::IndexEntry>>& ca_index, AuditVerification& result) {
  const auto certificates = audited_certificates(entries);
  const auto burns = audited_burns(entries);
  std::set<std::string> serials;
  std::map<std::string, std::string> status_of;
  for (const auto& device : db.devices()) {
    if (!device.serial.empty()) serials.insert(device.serial);
    status_of[device.mac] = device.status;
    for (const auto& step : db.steps(device.mac)) {
      if (!step.details.is_object() || !step.details.contains("blocks")) continue;
      for (const auto& block : step.details["blocks"]) {
        const std::string outcome = block.value("outcome", "");
        if (outcome != "burned" && outcome != "unverifiable") continue;
        const auto number = block.value("block", 0u);
        if (burns.count({device.mac, number}) == 0) {
          result.missing.push_back(fmt::format("device {}: {} burned block {} ({}), no audit line says so", device.mac,
                                               step.step, number, block.value("batch", "")));
        }
      }
    }
  }
  for (const auto& cert : db.all_certificates()) {
    if (certificates.count(cert.sha256) == 0) {
      result.missing.push_back(
          fmt::format("certificate {} of device {} ({}) is in the station DB without its issue line",
                      cert.certificate_serial, cert.mac, cert.sha256.substr(0, 16)));
    }
  }
  if (ca_index) {
    // The CA may be older than this station (or shared): its certificates count from the first one
    // this station's audit log knows of.
    auto first = std::find_if(ca_index->begin(), ca_index->end(),
                              [&](const pki::IndexEntry& e) { return certificates.count(e.sha256) != 0; });
    for (const auto& entry : std::span(first, ca_index->end())) {
      const bool ours = std::any_of(serials.begin(), serials.end(),
                                    [&](const std::string& serial) { return pki::issued_to(entry, serial); });
      if (ours && certificates.count(entry.sha256) == 0) {
        result.missing.push_back(fmt::format("certificate {} ({}) is in the CA index without its issue line",
                                             entry.serial_hex, entry.subject));
      }
    }
  }
  for (const auto& intent : open_intents(entries)) {
    const std::string mac = intent.value("mac", "");
    const std::string status = status_of.count(mac) ? status_of[mac] : "";
    const std::string text = fmt::format("line {}: {} of device {} has no completion", intent.value("seq", 0),
                                         intent.value("action", ""), mac);
    if (status == "provisioned" || status == "rejected" || status == "scrapped") {
      result.missing.push_back(text + fmt::format(" although the device is {}", status));
    } else {
      result.open_intents.push_back(text + " (reconciled when the device resumes)");
    }
  }
  if (!result.missing.empty()) {
    if (result.ok) result.problem = fmt::format("{} action(s) without their audit lines", result.missing.size());
    result.ok = false;
  }
}

}  // namespace espfab::station
