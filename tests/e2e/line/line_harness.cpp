#include "line_harness.hpp"

#include <signal.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/loopback.hpp"
#include "support/run_command.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// `count` consecutive loopback ports nobody listens on, below the kernel's ephemeral range
// (32768 and up by default): the fixtures of one station, reused by every round's emulator. An
// ephemeral port "free a moment ago" can be taken by any outgoing connection of a test running
// beside this one before the emulator binds it.
int free_port_block(unsigned count) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> first_of(20000, 32000 - static_cast<int>(count));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int first = first_of(random);
    bool all_free = true;
    for (unsigned i = 0; i < count && all_free; ++i) all_free = !loopback_port_open(first + static_cast<int>(i));
    if (all_free) return first;
  }
  throw std::runtime_error("no block of free loopback ports");
}

}  // namespace

Line::Line(LineOptions options) : options_(std::move(options)) {
  ::setenv("ESPFAB_TEST_DB_PASSWORD", "not-needed-with-trust", 1);
  target_ = {server_.create_database("line"), "", "test-observer"};
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir_.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  if (demo.exit_code != 0) throw std::runtime_error("espfab demo --assets-only failed: " + demo.err);
  const auto demo_profile = read_text_file(dir_ / "station.toml");
  stations_.resize(options_.stations.size());
  for (std::size_t s = 0; s < stations_.size(); ++s) {
    write_profile(s, demo_profile);
    stations_[s].first_port = free_port_block(spec(s).fixtures);
  }
  const auto migrate = run_espfab({"db", "migrate", "--profile", profile(0).string()});
  if (migrate.exit_code != 0) throw std::runtime_error("espfab db migrate failed: " + migrate.err);
  for (std::size_t s = 0; s < stations_.size(); ++s) insert_round(s, 0);
}

Line::~Line() {
  for (auto& station : stations_) station.run.reset();  // SIGTERM, then SIGKILL
}

// The demo's profile with this station's [station] section and the counting label printer.
void Line::write_profile(std::size_t s, const std::string& demo_profile) {
  std::string text = demo_profile;
  const auto station = text.find("[station]\n");
  const auto station_end = text.find("\n\n", station);
  std::string lines = fmt::format(
      "[station]\nid = \"{}\"\ndata_dir = \"data-{}\"\nbaud = 921600\ndatabase = \"{}\"\n"
      "database_password_env = \"ESPFAB_TEST_DB_PASSWORD\"\noutbox_retry_ms = 200\noutbox_wait_s = 20\n"
      "outbox_claim_s = {}\n",
      spec(s).id, spec(s).id, target_.url, options_.outbox_claim_s);
  if (spec(s).serial_lease > 0) lines += fmt::format("serial_lease = {}\n", spec(s).serial_lease);
  text.replace(station, station_end + 1 - station, lines);
  const auto label = text.find("[label]\n");
  text.replace(label, text.size() - label,
               fmt::format("[label]\nprinter = \"tcp\"\naddress = \"127.0.0.1:{}\"\n", labels_.port()));
  write_text_file_atomic(profile(s), text);
}

std::filesystem::path Line::profile(std::size_t s) const { return dir_ / (spec(s).id + ".toml"); }
std::filesystem::path Line::data_dir(std::size_t s) const { return dir_ / ("data-" + spec(s).id); }
std::filesystem::path Line::chips_dir(std::size_t s, unsigned round) const {
  return dir_ / fmt::format("chips-{}-{}", spec(s).id, round);
}

std::string Line::mac(std::size_t s, unsigned round, unsigned fixture) const {
  return fmt::format("7c:df:a1:{:02x}:{:02x}:{:02x}", s + 1, round, fixture);
}

std::vector<std::string> Line::round_macs(std::size_t s, unsigned round) const {
  std::vector<std::string> out;
  for (unsigned f = 0; f < spec(s).fixtures; ++f) out.push_back(mac(s, round, f));
  return out;
}

std::vector<std::string> Line::all_macs() const {
  std::vector<std::string> out;
  for (std::size_t s = 0; s < stations_.size(); ++s)
    for (unsigned r = 0; r < options_.rounds; ++r)
      for (const auto& m : round_macs(s, r)) out.push_back(m);
  return out;
}

void Line::insert_round(std::size_t s, unsigned round) {
  auto& station = stations_[s];
  station.chips.reset();  // the finished devices leave their fixtures
  station.chips = std::make_unique<EmulatorProcess>(EmulatorOptions{
      spec(s).fixtures, "rfc2217", chips_dir(s, round), {"--mac-base", mac(s, round, 0)}, station.first_port});
  if (station.urls.empty()) station.urls = station.chips->urls();
  station.round = round;
  log_ += fmt::format("{}: round {} in its fixtures\n", spec(s).id, round);
}

void Line::start(std::size_t s) {
  auto& station = stations_[s];
  SpawnOptions spawn;
  spawn.argv = {espfab_binary().string(),
                "--log-level",
                "error",
                "run",
                "--profile",
                profile(s).string(),
                "--idle-timeout",
                std::to_string(options_.idle_timeout_s),
                "--json",
                "--no-rehearsal"};
  for (const auto& url : station.urls) {
    spawn.argv.push_back("--port");
    spawn.argv.push_back(url);
  }
  std::filesystem::create_directories(dir_ / "runs");
  spawn.out = Redirect::file(dir_ / "runs" / fmt::format("{}-{}.json", spec(s).id, ++station.runs), false);
  spawn.err = Redirect::file(dir_ / "runs" / fmt::format("{}-{}.err", spec(s).id, station.runs), false);
  station.run.emplace(std::move(spawn));
  log_ += fmt::format("{}: run {} started\n", spec(s).id, station.runs);
}

void Line::kill(std::size_t s) {
  auto& station = stations_[s];
  if (!station.run) return;
  ::kill(station.run->pid(), SIGKILL);
  station.last_exit = station.run->wait(Deadline::never());
  station.run.reset();
  log_ += fmt::format("{}: run {} killed (SIGKILL)\n", spec(s).id, station.runs);
}

bool Line::running(std::size_t s) {
  auto& station = stations_[s];
  if (!station.run) return false;
  if (const auto code = station.run->wait(Deadline(std::chrono::milliseconds(0)))) {
    station.last_exit = code;
    station.run.reset();
    log_ += fmt::format("{}: run {} exited {}\n", spec(s).id, station.runs, *code);
    return false;
  }
  return true;
}

json Line::last_summary(std::size_t s) const {
  const auto file = dir_ / "runs" / fmt::format("{}-{}.json", spec(s).id, stations_.at(s).runs);
  if (!std::filesystem::exists(file)) return nullptr;
  return json::parse(read_text_file(file), nullptr, false);
}

std::optional<DeviceMap> Line::devices() {
  try {
    if (!reader_) reader_ = std::make_unique<station::PostgresStationDb>(target_, station::DbAccess::ReadOnly);
    DeviceMap out;
    for (auto& row : reader_->devices()) out[row.mac] = row;
    return out;
  } catch (const Error&) {
    reader_.reset();  // the server is away: a new connection next time
    return std::nullopt;
  }
}

std::optional<std::string> Line::in_flight(std::size_t s, const DeviceMap& devices) const {
  for (const auto& m : round_macs(s, stations_.at(s).round)) {
    const auto it = devices.find(m);
    if (it != devices.end() && !it->second.serial.empty() && it->second.status == "in_progress") return m;
  }
  return std::nullopt;
}

bool Line::round_done(std::size_t s, unsigned round, const DeviceMap& devices) const {
  for (const auto& m : round_macs(s, round)) {
    const auto it = devices.find(m);
    if (it == devices.end() || it->second.status != "provisioned") return false;
  }
  return true;
}

bool Line::supervise(std::chrono::seconds limit, const std::function<void(const DeviceMap&)>& on_tick) {
  const Deadline deadline(limit);
  while (!deadline.expired()) {
    const auto known = devices();
    if (known && on_tick) on_tick(*known);
    bool all_done = true;
    for (std::size_t s = 0; s < stations_.size(); ++s) {
      auto& station = stations_[s];
      const bool last_round = station.round + 1 == options_.rounds;
      const bool done = known && round_done(s, station.round, *known);
      if (done && !last_round) insert_round(s, station.round + 1);
      const bool finished = done && last_round;
      if (running(s)) {
        all_done = false;
        continue;
      }
      // Not running: finished with a clean last run, or to be started (again).
      if (finished && station.last_exit == 0) continue;
      all_done = false;
      if (!known) continue;  // the operator waits for the server before restarting stations
      if (station.runs > 0 && ++station.restarts > 20) {
        log_ += fmt::format("{}: restarted too often\n", spec(s).id);
        return false;
      }
      start(s);
    }
    if (all_done) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  log_ += "the time limit passed\n";
  return false;
}

std::vector<std::string> Line::query(const std::string& sql) { return query_rows(target_.url, sql); }

void expect_line_books_agree(Line& line) {
  const auto devices = line.devices();
  ASSERT_TRUE(devices);
  const auto expected = line.all_macs();
  ASSERT_EQ(devices->size(), expected.size()) << line.log();
  std::set<std::string> serials;
  std::map<std::string, std::string> serial_of;
  for (const auto& m : expected) {
    const auto it = devices->find(m);
    ASSERT_NE(it, devices->end()) << m;
    EXPECT_EQ(it->second.status, "provisioned") << m << " " << it->second.reason;
    EXPECT_TRUE(serials.insert(it->second.serial).second) << "serial issued twice: " << it->second.serial;
    serial_of[m] = it->second.serial;
  }
  // One live certificate per device, for its serial; certificates (live or revoked) all unique.
  std::set<std::string> live;
  for (const auto& row : line.query("SELECT mac, serial, sha256 FROM certificates")) {
    std::istringstream fields(row);
    std::string m, serial, sha;
    std::getline(fields, m, '|');
    std::getline(fields, serial, '|');
    std::getline(fields, sha, '|');
    EXPECT_EQ(serial, serial_of[m]) << row;
    EXPECT_TRUE(live.insert(m).second) << row;
  }
  EXPECT_EQ(live.size(), expected.size());
  EXPECT_EQ(line.query("SELECT count(*) - count(DISTINCT sha256) FROM (SELECT sha256 FROM certificates UNION ALL "
                       "SELECT sha256 FROM revocations) c"),
            std::vector<std::string>{"0"});
  // Serial numbers: every one below the counter a device's or in the pool; none leased any more.
  const auto& prefix = "DEMO-";
  std::map<std::uint64_t, int> owners;
  for (const auto& serial : serials) ++owners[std::stoull(serial.substr(std::strlen(prefix)))];
  for (const auto& row : line.query("SELECT number, state FROM serial_leases")) {
    EXPECT_EQ(row.substr(row.find('|') + 1), "pool") << "a lease not returned at a clean end: " << row;
    ++owners[std::stoull(row.substr(0, row.find('|')))];
  }
  const auto next = line.query("SELECT next FROM serial_counter");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(owners.size(), std::stoull(next[0]) - 1) << "numbers lost";
  for (const auto& [number, count] : owners) EXPECT_EQ(count, 1) << "number " << number;
  // Outbox: two items per device, all delivered; the printer got each label once; the stations'
  // manifests (whichever station delivered) hold each registration once.
  EXPECT_EQ(line.query("SELECT count(*) FROM outbox WHERE state = 'done'"),
            std::vector<std::string>{std::to_string(2 * expected.size())});
  auto printed = line.labels().printed();
  printed.erase("?");  // connections without a label: each run's preflight probes the printer
  for (const auto& serial : serials) {
    const auto it = printed.find(serial);
    EXPECT_TRUE(it != printed.end() && it->second == 1)
        << serial << " labels: " << (it == printed.end() ? 0 : it->second);
  }
  EXPECT_EQ(printed.size(), serials.size()) << "labels of unknown serials: " << json(printed).dump();
  std::map<std::string, int> registered;
  std::map<std::string, int> burns;
  for (std::size_t s = 0; s < line.stations(); ++s) {
    const auto manifest = line.data_dir(s) / "registrations.jsonl";
    if (std::filesystem::exists(manifest)) {
      std::ifstream in(manifest);
      for (std::string row; std::getline(in, row);) ++registered[json::parse(row).value("id", "?")];
    }
    std::ifstream audit(line.data_dir(s) / "audit.jsonl");
    for (std::string row; std::getline(audit, row);) {
      const auto entry = json::parse(row);
      if (entry["action"] != "efuse.burned" && entry["action"] != "efuse.final_lock") continue;
      ++burns[fmt::format("{} {} {}", entry["mac"].get<std::string>(), entry["details"]["batch"].get<std::string>(),
                          entry["details"]["block"].get<unsigned>())];
    }
  }
  for (const auto& serial : serials) EXPECT_EQ(registered[serial], 1) << serial << " registrations";
  EXPECT_EQ(registered.size(), serials.size());
  EXPECT_FALSE(burns.empty());
  for (const auto& [burn, count] : burns) EXPECT_EQ(count, 1) << "burned twice: " << burn;
}

}  // namespace espfab::test
