// The station's live view on stderr: on a terminal one redrawn line per fixture (device, step,
// progress, rate); otherwise one line per finished step that failed and per finished device.
#pragma once

#include "station/station_events.hpp"

namespace espfab::cli {

// An observer for StationService; silent with `quiet` (JSON output).
station::StationObserver make_station_view(bool quiet);

}  // namespace espfab::cli
