// A production line for e2e tests (issue 19): one PostgreSQL 15 the test starts (migrated once), a
// set of stations — each its own `espfab run` process, data dir and espfab-emu fixtures on fixed
// ports — sharing the demo's CA and images, and one counting label printer (label_counter.hpp).
// Devices arrive in rounds: when a station's fixtures hold only finished devices, the next round's
// blank chips (new MACs) replace them on the same ports, as an operator swaps modules. supervise()
// plays the operator: it restarts a station whose run ended with work left (a kill, a lost server)
// and ends once every device is provisioned and every station's last run ended cleanly.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "label_counter.hpp"
#include "station/postgres_station_db.hpp"
#include "support/emulator_process.hpp"
#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"
#include "util/subprocess.hpp"

namespace espfab::test {

struct LineStationSpec {
  std::string id;
  unsigned fixtures = 2;
  unsigned serial_lease = 0;
};

struct LineOptions {
  std::vector<LineStationSpec> stations;
  unsigned rounds = 1;          // devices per fixture
  unsigned idle_timeout_s = 8;  // a run ends when its fixtures saw no new device for this long
  unsigned outbox_claim_s = 3;  // short, so a killed station's claims lapse within the test
};

using DeviceMap = std::map<std::string, station::DeviceRow>;  // by MAC

class Line {
 public:
  explicit Line(LineOptions options);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  Line(Line&&) = delete;
  Line& operator=(Line&&) = delete;

  std::size_t stations() const { return stations_.size(); }
  const LineStationSpec& spec(std::size_t s) const { return options_.stations.at(s); }
  std::string mac(std::size_t s, unsigned round, unsigned fixture) const;
  // Every MAC of the line (all stations, rounds and fixtures), and station s's of one round.
  std::vector<std::string> all_macs() const;
  std::vector<std::string> round_macs(std::size_t s, unsigned round) const;

  // Station s's `espfab run` in the background (its JSON summary in runs/<id>-<n>.json).
  void start(std::size_t s);
  void kill(std::size_t s);  // SIGKILL, reaped
  bool running(std::size_t s);
  unsigned runs(std::size_t s) const { return stations_.at(s).runs; }
  // The summary of station s's last run that ended (null when it printed none: killed).
  nlohmann::json last_summary(std::size_t s) const;

  // The devices as the server has them; nullopt while it cannot be reached.
  std::optional<DeviceMap> devices();
  // A device of station s (its current round) with a serial and not finished: in flight.
  std::optional<std::string> in_flight(std::size_t s, const DeviceMap& devices) const;

  // Runs the line (see the file comment) until done or `limit`; `on_tick` sees the devices every
  // poll. False at the limit, or when a station had to be restarted more than 20 times.
  bool supervise(std::chrono::seconds limit, const std::function<void(const DeviceMap&)>& on_tick = {});

  PostgresServer& server() { return server_; }
  const station::PostgresTarget& target() const { return target_; }
  std::filesystem::path profile(std::size_t s) const;
  std::filesystem::path data_dir(std::size_t s) const;
  std::filesystem::path chips_dir(std::size_t s, unsigned round) const;
  const LabelCounter& labels() const { return labels_; }
  // psql -tA, one row a line.
  std::vector<std::string> query(const std::string& sql);
  std::string log() const { return log_; }  // what supervise() did, for failure messages

 private:
  struct Station {
    std::unique_ptr<EmulatorProcess> chips;
    std::vector<std::string> urls;
    int first_port = 0;
    unsigned round = 0;
    std::optional<Subprocess> run;
    unsigned runs = 0;
    unsigned restarts = 0;
    std::optional<int> last_exit;
  };
  void insert_round(std::size_t s, unsigned round);
  bool round_done(std::size_t s, unsigned round, const DeviceMap& devices) const;
  void write_profile(std::size_t s, const std::string& demo_profile);

  LineOptions options_;
  TempDir dir_;
  PostgresServer server_;
  station::PostgresTarget target_;
  LabelCounter labels_;
  std::vector<Station> stations_;
  std::unique_ptr<station::PostgresStationDb> reader_;
  std::string log_;
};

// The line's books agree (every device of the line provisioned exactly once): one serial and one
// live certificate per device, all unique; every number below the serial counter a device's, or
// returned to the pool (no station holds a lease after a clean end); every registration and label
// delivered and delivered once (the outbox, the stations' manifests, the label printer); no eFuse
// block burned twice (the stations' audit logs).
void expect_line_books_agree(Line& line);

}  // namespace espfab::test
