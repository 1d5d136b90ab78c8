// What the station commands (run, demo, report, audit) share: the service, the code version, the
// device summary table.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "service/station_service.hpp"

namespace espfab::cli {

service::StationService station_service();
// The espfab-emu program next to this espfab (build tree or install).
std::filesystem::path default_emulator_program();
// "SERIAL  MAC  RESULT  TIME  REASON" table of a run's devices.
std::string device_table(const std::vector<station::DeviceResult>& devices);

}  // namespace espfab::cli
