// Runs one provisioning step body, once, the way the pipeline does (its declared inputs, its
// output stored), with the station's plugs faked: FakeStationDb, FakeCaBackend, FakeRegistrar,
// FakeLabelSink, a real AuditLog and Outbox in a temporary directory. The fixture link is a pty
// nobody answers on (no socket, no device), enough for the steps and paths that do not talk to a
// chip, or the URL of an emulated device (tests/integration/station: an in-process DeviceServer). Earlier steps'
// outputs are given with give<T>() as if those steps had run; errors from the body propagate (the pipeline's error
// policy is tested in pipeline_test.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "station/pipeline.hpp"
#include "station/provisioning_steps.hpp"
#include "support/station/fake_ca_backend.hpp"
#include "support/station/fake_label_sink.hpp"
#include "support/station/fake_registrar.hpp"
#include "support/station/fake_station_db.hpp"
#include "support/temp_dir.hpp"

namespace espfab::test {

// A pseudo-terminal pair; the station opens the subordinate side as its serial port and nothing
// ever answers on the controlling side.
class SilentPty {
 public:
  SilentPty();
  ~SilentPty();
  SilentPty(const SilentPty&) = delete;
  SilentPty& operator=(const SilentPty&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  int controller_ = -1;
  std::string path_;
};

class StepHarness {
 public:
  // `fixture_url` empty: the silent pty. `auto_baud`: the fixture's rate comes from the ladder.
  explicit StepHarness(const std::string& fixture_url = {}, bool auto_baud = false);

  // The declaration of a provisioning step or of retire-identity, by name (BadInput if unknown).
  static station::StepDecl declaration(const std::string& name);

  // An earlier step's output, as if that step had run.
  template <class T>
  void give(T value) {
    station::StepDecl producer;
    producer.name = "given by the test";
    producer.output = station::output_of<T>();
    ctx.store(producer, station::StepOutput::of(std::move(value)));
  }
  // The device as connect identifies it, in the DB (touch_device) and as a ConnectResult.
  void give_device(const std::string& mac, const std::string& serial = {});

  // Runs the step's body once; stores its output like the pipeline (a Continue without the
  // declared output is an InternalError).
  station::StepOutcome run(const std::string& step);

  // A step's output, nullptr when none was produced.
  template <class T>
  const T* output() {
    station::StepDecl reader;
    reader.name = "the test";
    reader.inputs = station::inputs_of<T>();
    ctx.begin_step(&reader);
    const T* value = ctx.optional_input<T>();
    ctx.begin_step(nullptr);
    return value;
  }

  // The audit log's entries (of one device, when given).
  std::vector<nlohmann::json> audit_entries(const std::string& mac = {}) const;
  // Audit actions in order ("identity.sign.begin", ...).
  std::vector<std::string> audit_actions(const std::string& mac = {}) const;

  TempDir dir;
  station::StationProfile profile;
  station::FirmwareSet firmware;
  FakeStationDb db;
  station::AuditLog audit;
  FakeCaBackend ca;
  FakeRegistrar registrar;
  FakeLabelSink labels;
  station::Outbox outbox;
  flash::CompressionCache cache;
  station::StationResources resources;
  SilentPty pty;
  station::FixtureLink fixture;
  station::DeviceContext ctx;
};

}  // namespace espfab::test
