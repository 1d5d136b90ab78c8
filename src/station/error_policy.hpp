// The station's written error policy (docs/errors.md): what a step's error means for the device,
// the fixture and the station. A fault of the device or its link is retried and then blames the
// device (reject before anything irreversible, a fault for an engineer after); a fault of the
// station itself (its database, its disk, its CA, a bug) never blames the device: the device's state
// stays as the DB recorded it, resumable, and the fixture or the whole station stops cleanly.
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace espfab::station {

// Whose fault an error is.
enum class ErrorSide {
  Device,   // the chip, its firmware or its link: timeouts, protocol errors, error statuses, a dead port
  Station,  // the station's own resources: DB, disk, audit log, CA, registrar configuration, a bug
};

// What the pipeline does with a step that ended in the error.
enum class ErrorAction {
  RetryThenBlameDevice,  // retry up to the step's attempts; then reject (or fault once irreversible)
  BlameDevice,           // no retry: reject (or fault once irreversible)
  StopFixture,           // the device is left resumable (not blamed); this fixture stops, others go on
  StopStation,           // the device is left resumable (not blamed); every fixture stops
};

struct ErrorPolicy {
  ErrorSide side = ErrorSide::Device;
  ErrorAction action = ErrorAction::BlameDevice;
  std::string_view why;  // one line for docs and records
};

// The policy for one error: by kind, and for Io/Timeout by the module its code comes from
// (transport., loader., flash. are the device's link; anything else is the station's).
ErrorPolicy error_policy(ErrorKind kind, std::string_view code);
inline ErrorPolicy error_policy(const Error& error) { return error_policy(error.kind(), error.code()); }

// A fault of the device's link itself (a timeout, garbled bytes, an error status or a failed
// port, coded transport., loader. or flash.): what auto baud answers by dropping a rung.
bool link_error(const Error& error);

std::string_view to_string(ErrorAction action);
std::string_view to_string(ErrorSide side);

}  // namespace espfab::station
