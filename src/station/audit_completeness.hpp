// The audit log against what else the station knows: every certificate in the station DB and every
// one the CA's index holds for this station's devices (from the first one this log knows of: the
// CA may be older or shared) has its issue line; every eFuse block the DB
// records as burned has its burn line; no device that finished left an intent open
// (audit_log.hpp, "write-ahead"). `espfab audit verify` runs this after the hash chain.
#pragma once

#include <optional>
#include <vector>

#include "pki/ca_backend.hpp"
#include "station/audit_log.hpp"
#include "station/station_db.hpp"

namespace espfab::station {

// Adds to result.missing (and clears result.ok when anything is missing) and result.open_intents.
void check_audit_completeness(const std::vector<nlohmann::json>& entries, StationDb& db,
                              const std::optional<std::vector<pki::IndexEntry>>& ca_index, AuditVerification& result);

}  // namespace espfab::station
