#include "station/station_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "chip/esp32s3.hpp"
#include "loader/device_info.hpp"
#include "loader/stub.hpp"
#include "loader/stub_locator.hpp"
#include "pki/local_ca.hpp"
#include "station/ca_backend_factory.hpp"
#include "station/data_dir_lock.hpp"
#include "station/handoff_targets.hpp"
#include "station/provisioning_steps.hpp"
#include "station/serial_lease.hpp"
#include "station/station_db_factory.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

struct Shared {
  StationResources& resources;
  const RunOptions& options;
  std::atomic<long>& budget;
  std::optional<loader::StubImage> stub;
  StationObserver observer;
  std::mutex results_mutex;
  std::vector<DeviceResult> results;
  std::atomic<bool> station_stop{false};  // a station-side error: every fixture stops
  std::string station_stopped;            // why (under results_mutex)
};

bool cancelled(const Shared& shared) {
  return (shared.options.cancel && shared.options.cancel->load()) || shared.station_stop.load();
}

// An idle fixture's wait between looks for a device. The cancel flag is set by a signal handler
// (it cannot notify), so the wait wakes to look at it: every 200 ms, a Ctrl-C answered in time
// without waking 16 idle fixtures 20 times a second (bench/station: CPU while fixtures wait).
constexpr std::chrono::milliseconds kCancelCheck{200};

void sleep_for(const Shared& shared, std::chrono::milliseconds time) {
  const auto end = std::chrono::steady_clock::now() + time;
  for (auto now = std::chrono::steady_clock::now(); !cancelled(shared) && now < end;
       now = std::chrono::steady_clock::now()) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kCancelCheck, end - now));
  }
}

void add_result(Shared& shared, DeviceResult result) {
  std::lock_guard lock(shared.results_mutex);
  shared.results.push_back(std::move(result));
}

// One fixture: wait for a device, provision it, wait for the next, until the count, the idle
// timeout, a cancel, a fault or a station stop. Returns how it ended (never throws for devices).
FixtureReport fixture_worker(Shared& shared, const std::string& url, const std::string& name) {
  FixtureReport report{name, url, FixtureState::Finished, ""};
  auto emit = [&](StationEvent::Kind kind, std::string message) {
    StationEvent event;
    event.kind = kind;
    event.fixture = name;
    event.message = std::move(message);
    shared.observer(event);
  };
  std::optional<FixtureLink> fixture;
  try {
    fixture.emplace(url, shared.resources.profile.baud, shared.stub, shared.resources.profile.auto_baud);
  } catch (const Error& error) {
    return {name, url, FixtureState::Stopped, fmt::format("cannot open {}: {}", url, error.describe())};
  }
  const auto steps = provisioning_steps();
  const auto retire_identity = retire_identity_step();
  const auto& options = shared.options;
  std::string last_device;  // the MAC of the device handled last ("locked" when unreadable)
  std::string last_waiting;
  auto idle_since = std::chrono::steady_clock::now();
  while (!cancelled(shared) && shared.budget.load() > 0) {
    if (options.idle_timeout && std::chrono::steady_clock::now() - idle_since > *options.idle_timeout) {
      report.reason = "no new device arrived in time";
      return report;
    }
    if (options.controls != nullptr && options.controls->paused(name)) {
      const std::string paused = "paused by the operator: resume the fixture to take the next device";
      if (paused != last_waiting) emit(StationEvent::Kind::Waiting, paused);
      last_waiting = paused;
      sleep_for(shared, options.poll);
      idle_since = std::chrono::steady_clock::now();
      continue;
    }
    std::string who;
    std::string waiting;
    try {
      auto& session = fixture->connect(2);
      who = session.chip().secure_download_mode
                ? "locked"
                : loader::format_mac(loader::read_mac(session.client(), session.description()));
      if (who == last_device) waiting = "waiting for the next device (the last one is still in the fixture)";
    } catch (const PolicyRefusalError& error) {
      // Not a chip this station may touch (another chip family): rejected untouched, once.
      who = "refused: " + error.message();
      if (who == last_device) {
        waiting = "waiting for the next device (the refused one is still in the fixture)";
      } else {
        last_device = who;
        if (shared.budget.fetch_sub(1) <= 0) break;
        DeviceResult refused;
        refused.fixture = name;
        refused.outcome = DeviceOutcome::Rejected;
        refused.reason = "connect: " + error.describe() + " (left untouched)";
        StationEvent event;
        event.kind = StationEvent::Kind::DeviceFinished;
        event.fixture = name;
        event.outcome = to_string(refused.outcome);
        event.message = refused.reason;
        shared.observer(event);
        add_result(shared, std::move(refused));
        continue;
      }
    } catch (const Error& error) {
      waiting = "waiting for a device: " + error.describe();
    }
    if (!waiting.empty()) {
      fixture->close_session();
      if (waiting != last_waiting) emit(StationEvent::Kind::Waiting, waiting);
      last_waiting = waiting;
      sleep_for(shared, options.poll);
      continue;
    }
    last_waiting.clear();
    if (shared.budget.fetch_sub(1) <= 0) break;
    DeviceContext ctx(shared.resources, *fixture, name, shared.observer);
    DeviceResult result = run_pipeline(ctx, steps, &retire_identity);
    last_device = result.mac.empty() || result.outcome == DeviceOutcome::Provisioned
                      ? (result.mac.empty() ? "locked" : result.mac)
                      : result.mac;
    if (result.outcome == DeviceOutcome::Provisioned &&
        shared.resources.profile.security.final_lock != security::SecurityProfile::FinalLock::None) {
      last_device = "locked";  // from now on its ROM will not tell its MAC
    }
    idle_since = std::chrono::steady_clock::now();
    const DeviceOutcome outcome = result.outcome;
    const bool stop_station = result.stop_station;
    const std::string reason = result.reason;
    const std::string device_mac = result.mac;
    add_result(shared, std::move(result));
    if (outcome == DeviceOutcome::Fault) {
      if (options.controls == nullptr) {
        return {name, url, FixtureState::Fault, "stopped for an engineer after a device fault: " + reason};
      }
      // Held for an engineer (the dashboard): resumed or scrapped there, the fixture goes on.
      options.controls->hold(name, device_mac);
      while (options.controls->held(name) && !cancelled(shared)) sleep_for(shared, options.poll);
      if (options.controls->held(name)) {
        options.controls->release(name);
        return {name, url, FixtureState::Fault, "stopped for an engineer after a device fault: " + reason};
      }
      last_device.clear();  // the device in the fixture is taken again (resumed, or skipped when scrapped)
      last_waiting.clear();
      idle_since = std::chrono::steady_clock::now();
      continue;
    }
    if (outcome == DeviceOutcome::Interrupted && options.stop_now != nullptr && options.stop_now->load() &&
        !stop_station) {
      return {name, url, FixtureState::Finished, "stopped at a safe point by the operator: " + reason};
    }
    if (outcome == DeviceOutcome::Interrupted) {
      if (stop_station) {
        {
          std::lock_guard lock(shared.results_mutex);
          if (shared.station_stopped.empty()) shared.station_stopped = reason;
        }
        shared.station_stop = true;
      }
      return {name, url, FixtureState::Stopped,
              fmt::format("stopped by a station error (the device is resumable): {}", reason)};
    }
  }
  if (shared.station_stop) {
    std::lock_guard lock(shared.results_mutex);
    return {name, url, FixtureState::Stopped, "the station stopped: " + shared.station_stopped};
  }
  report.reason = shared.budget.load() <= 0 ? "the device count was reached" : "cancelled";
  return report;
}

// The one way a fixture thread ends: its report, an event that says why, and nothing escapes.
FixtureReport guarded_fixture(Shared& shared, const std::string& url, const std::string& name) {
  FixtureReport report;
  try {
    report = fixture_worker(shared, url, name);
  } catch (const std::exception& error) {
    report = {name, url, FixtureState::Stopped, fmt::format("internal error: {}", error.what())};
  } catch (...) {
    report = {name, url, FixtureState::Stopped, "internal error: an unknown exception"};
  }
  StationEvent event;
  event.kind = StationEvent::Kind::FixtureStopped;
  event.fixture = name;
  event.outcome = to_string(report.state);
  event.message = report.reason;
  try {
    shared.observer(event);
  } catch (...) {
    // An observer that fails (a closed terminal) must not end the thread another way.
  }
  return report;
}

std::string make_run_id(const std::string& station) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return fmt::format("{}-{}", station, ms);
}

std::string sha256_hex(const Bytes& bytes) {
  const auto digest = crypto::sha256(bytes);
  return to_hex(ByteView(digest.data(), digest.size()));
}

// The SHA-256 of every image this run flashes, by name ("data:<partition>" for data images).
nlohmann::json image_digests(const FirmwareSet& firmware) {
  nlohmann::json out = nlohmann::json::object();
  const auto add = [&](const std::string& name, const std::shared_ptr<const Bytes>& bytes) {
    if (bytes) out[name] = sha256_hex(*bytes);
  };
  add("bootloader", firmware.bootloader);
  add("partition_table", firmware.partition_table);
  add("factory_test_app", firmware.factory_app);
  add("production_app", firmware.production_app);
  for (const auto& region : firmware.data) add("data:" + region.partition.name, region.data);
  return out;
}

}  // namespace

std::string_view to_string(FixtureState state) {
  switch (state) {
    case FixtureState::Finished: return "finished";
    case FixtureState::Fault: return "fault";
    case FixtureState::Stopped: return "stopped";
  }
  return "?";
}

std::filesystem::path database_path(const StationProfile& profile) { return profile.data_dir / "station.db"; }
std::filesystem::path audit_log_path(const StationProfile& profile) { return profile.data_dir / "audit.jsonl"; }
std::filesystem::path records_path(const StationProfile& profile) { return profile.data_dir / "records"; }

RunSummary run_station(const StationProfile& profile, const RunOptions& options, const StationObserver& observer) {
  const auto start = std::chrono::steady_clock::now();
  const auto ports = options.ports.empty() ? profile.ports : options.ports;
  if (ports.empty()) {
    throw BadInputError("station.no_fixtures", "the station has no fixtures",
                        "list the fixtures' ports in [fixtures] ports = [...] of the profile (or pass --port)");
  }
  const FirmwareSet firmware = load_firmware_set(profile.images);
  std::filesystem::create_directories(profile.data_dir);
  const DataDirLock data_dir_lock(profile.data_dir);  // one station per data dir, for the whole run
  const auto db = open_profile_db(profile);
  AuditLog audit(audit_log_path(profile), profile.station_id);
  for (const auto& entry : options.audit_at_start) audit.append(entry);
  const auto ca = make_ca_backend(profile);
  const auto registrar = make_registrar(profile);
  const auto labels = make_label_sink(profile);
  Outbox outbox(*db, *registrar, *labels, records_path(profile), std::chrono::seconds(profile.outbox_claim_s));
  const auto serial_lease = make_serial_lease(profile, *db);
  if (serial_lease) serial_lease->open();
  flash::CompressionCache cache;
  StationResources resources{profile,
                             firmware,
                             *db,
                             audit,
                             *ca,
                             outbox,
                             cache,
                             make_run_id(profile.station_id),
                             options.code_version,
                             records_path(profile),
                             serial_lease.get(),
                             options.stop_now};
  db->record_run({resources.run_id, profile.station_id, options.code_version, profile.sha256, image_digests(firmware),
                  utc_now_iso()});
  std::atomic<long> budget(options.count ? static_cast<long>(*options.count) : LONG_MAX);
  std::mutex observer_mutex;
  const std::optional<loader::StubImage> stub =
      loader::load_stub(loader::locate_stub(loader::stub_request(profile.stub, profile.stub_disabled), chip::kEsp32s3));
  Shared shared{resources,
                options,
                budget,
                stub,
                [&](const StationEvent& event) {
                  if (!observer) return;
                  std::lock_guard lock(observer_mutex);
                  observer(event);
                },
                {},
                {},
                {false},
                {}};
  std::vector<FixtureReport> fixture_reports(ports.size());
  // Set when every fixture worker has ended; the outbox thread sleeps until then or its period.
  std::mutex done_mutex;
  std::condition_variable done_changed;
  bool fixtures_done = false;
  std::size_t outbox_pending = 0;
  {
    // Retries queued registrations and labels (this run's and earlier runs') while the fixtures
    // work; once they are done, until the outbox is empty or outbox_wait_s has passed.
    std::jthread outbox_thread([&] {
      const auto period = std::chrono::milliseconds(profile.outbox_retry_ms);
      std::optional<std::chrono::steady_clock::time_point> give_up;
      for (;;) {
        bool db_failed = false;
        try {
          outbox_pending = outbox.retry_pending();
        } catch (const DatabaseError&) {
          db_failed = true;  // the items stay queued for the next try, the next run or another station
        } catch (const std::exception&) {
          // A bug: the items stay queued; a registrar or printer error is the item's own and is
          // kept with it.
        }
        std::unique_lock lock(done_mutex);
        // Once the fixtures are done, a DB that cannot be reached ends the wait: nothing could be
        // delivered and recorded.
        if (fixtures_done && db_failed) break;
        if (fixtures_done && !give_up)
          give_up = std::chrono::steady_clock::now() + std::chrono::seconds(profile.outbox_wait_s);
        if (give_up && (outbox_pending == 0 || std::chrono::steady_clock::now() >= *give_up)) break;
        if (options.cancel != nullptr && *options.cancel && fixtures_done) break;
        // The next try after the period, or at once when the fixtures end (then the last items go
        // out and the run ends without waiting out a period).
        const bool was_done = fixtures_done;
        done_changed.wait_for(lock, period, [&] { return fixtures_done != was_done; });
      }
    });
    {
      std::vector<std::jthread> workers;
      for (std::size_t i = 0; i < ports.size(); ++i) {
        workers.emplace_back([&shared, &ports, &fixture_reports, i] {
          fixture_reports[i] = guarded_fixture(shared, ports[i], fmt::format("fixture {}", i + 1));
        });
      }
    }
    {
      std::lock_guard lock(done_mutex);
      fixtures_done = true;
    }
    done_changed.notify_all();
  }
  RunSummary summary;
  if (serial_lease) {
    // The numbers this run did not use go back to the line's pool; a server that cannot be reached
    // leaves them with the station (its next run uses or returns them).
    try {
      summary.serials_returned = serial_lease->release();
    } catch (const Error& error) {
      summary.warnings.push_back(
          fmt::format("serial lease: kept in {} ({})", serial_lease_path(profile).string(), error.describe()));
    }
  }
  summary.run_id = resources.run_id;
  summary.devices = std::move(shared.results);
  summary.fixtures = std::move(fixture_reports);
  summary.station_stopped = shared.station_stopped;
  summary.records_dir = resources.records_dir;
  summary.labels_dir = profile.labels_dir;
  summary.outbox_pending = outbox_pending;
  summary.database = describe_station_db(profile);
  summary.audit_log = audit_log_path(profile);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace espfab::station
