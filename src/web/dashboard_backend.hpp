// What the dashboard's server asks of the station: the shift's numbers, device records, label
// previews and the operators' actions. StationBackend answers through StationService, the same
// calls (and audit lines) as the CLI; tests may give their own.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "service/station_service.hpp"
#include "station/fixture_controls.hpp"
#include "util/bytes.hpp"

namespace espfab::web {

// An action from the page: reprint (device), pause / resume_fixture (fixture), stop,
// device_resume / device_scrap (device, reason).
struct Action {
  std::string name;
  std::string fixture;
  std::string device;
  std::string reason;
};

class DashboardBackend {
 public:
  DashboardBackend() = default;
  virtual ~DashboardBackend() = default;
  DashboardBackend(const DashboardBackend&) = delete;
  DashboardBackend& operator=(const DashboardBackend&) = delete;
  DashboardBackend(DashboardBackend&&) = delete;
  DashboardBackend& operator=(DashboardBackend&&) = delete;

  // {"summary": the `report --summary` object, "devices_per_hour", "recent": [device...]}
  virtual nlohmann::json shift() = 0;
  virtual nlohmann::json device_record(const std::string& device) = 0;
  virtual Bytes label_png(const std::string& device) = 0;
  // Does the action as `user` (its audit line names them); throws espfab::Error when it cannot.
  // Returns what was done, for the page.
  virtual std::string act(const Action& action, const std::string& user) = 0;
  // A view of a data dir (`espfab ui`): no action.
  virtual bool read_only() const = 0;
  virtual std::string station() const = 0;
};

struct StationBackendOptions {
  std::filesystem::path profile;
  std::string since;                             // the shift's start as `report --since` takes it; "" = every device
  std::size_t recent = 20;                       // devices listed
  bool read_only = false;                        // `espfab ui`: a view
  station::FixtureControls* controls = nullptr;  // the run's pause and fault hold
  std::function<void()> stop;                    // "stop after the current devices"
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();  // for devices/hour
};

class StationBackend : public DashboardBackend {
 public:
  StationBackend(service::StationService& service, StationBackendOptions options);
  nlohmann::json shift() override;
  nlohmann::json device_record(const std::string& device) override;
  Bytes label_png(const std::string& device) override;
  std::string act(const Action& action, const std::string& user) override;
  bool read_only() const override { return options_.read_only; }
  std::string station() const override { return station_; }

 private:
  service::StationService& service_;
  StationBackendOptions options_;
  std::string station_;
};

}  // namespace espfab::web
