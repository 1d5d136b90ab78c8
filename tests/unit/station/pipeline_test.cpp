// The pipeline runner with scripted step bodies: Continue/Fail/Retry/Stop/Skip, retries of
// transient errors, failure after an irreversible step as a fault, skipping what a resumed run
// finds done, and teardown that always runs (secrets wiped, record written, result committed).
#include "station/pipeline.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "station/step_outputs.hpp"
#include "support/station/fake_ca_backend.hpp"
#include "support/station/fake_label_sink.hpp"
#include "support/station/fake_registrar.hpp"
#include "support/station/fake_station_db.hpp"
#include "support/station/step_harness.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace espfab::station {
namespace {

struct Station {
  test::TempDir dir;
  StationProfile profile;
  FirmwareSet firmware;
  test::FakeStationDb db;
  AuditLog audit{dir / "audit.jsonl", "test-station"};
  test::FakeCaBackend ca;
  test::FakeRegistrar registrar;
  test::FakeLabelSink labels;
  Outbox outbox{db, registrar, labels, dir / "records"};
  flash::CompressionCache cache;
  StationResources resources{profile, firmware, db, audit, ca, outbox, cache, "run-1", "test", dir / "records"};
  test::SilentPty port;  // a serial port nobody answers on: the scripted steps do not talk to it
  FixtureLink fixture{port.path(), 115200};
  std::vector<StationEvent> events;

  DeviceContext context() {
    return DeviceContext(resources, fixture, "fixture 1", [this](const StationEvent& e) { events.push_back(e); });
  }
};

constexpr const char* kMac = "7c:df:a1:00:00:09";

StepDecl identify() {
  StepDecl decl{"connect", 1, false, false, [](DeviceContext& ctx) {
                  ctx.station.db.touch_device(kMac, "fixture 1");
                  StepOutcome out;
                  out.output = StepOutput::of(ConnectResult{kMac, "", {}});
                  return out;
                }};
  decl.output = output_of<ConnectResult>();
  return decl;
}

StepDecl step(std::string name, std::function<StepOutcome(DeviceContext&)> body, unsigned attempts = 1,
              bool irreversible = false) {
  return {std::move(name), attempts, irreversible, true, std::move(body)};
}

StepDecl with(StepDecl decl, std::vector<std::type_index> inputs, std::optional<std::type_index> output = {}) {
  decl.inputs = std::move(inputs);
  decl.output = output;
  return decl;
}

TEST(Pipeline, AllStepsContinueAndTheRecordIsWritten) {
  Station s;
  auto ctx = s.context();
  int ran = 0;
  const auto result = run_pipeline(ctx, {identify(), step("a", [&](DeviceContext&) {
                                           ++ran;
                                           StepOutcome out;
                                           out.measurements.push_back({{"name", "m"}, {"value", 1}, {"pass", true}});
                                           return out;
                                         })});
  EXPECT_EQ(result.outcome, DeviceOutcome::Provisioned);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(s.db.find_device(kMac)->status, "provisioned");
  const auto steps = s.db.steps(kMac);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].outcome, "pass");
  EXPECT_EQ(steps[1].measurements[0]["name"], "m");
  ASSERT_FALSE(result.record.empty());
  std::ifstream record(result.record);
  const auto json = nlohmann::json::parse(record);
  EXPECT_EQ(json["station"]["id"], s.profile.station_id);
  EXPECT_EQ(json["result"]["result"], "provisioned");
  EXPECT_EQ(json["steps"].size(), 2u);
  EXPECT_EQ(s.events.front().kind, StationEvent::Kind::DeviceStarted);
  EXPECT_EQ(s.events.back().kind, StationEvent::Kind::DeviceFinished);
}

TEST(Pipeline, AStepThatCheckedNothingIsRecordedAsSkippedNotPass) {
  Station s;
  auto ctx = s.context();
  const auto result = run_pipeline(ctx, {identify(), step("verify-hello", [](DeviceContext&) {
                                           StepOutcome out;
                                           out.details["note"] = "not asked for";
                                           out.checked_nothing = true;
                                           return out;
                                         })});
  EXPECT_EQ(result.outcome, DeviceOutcome::Provisioned);  // nothing failed either
  const auto steps = s.db.steps(kMac);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].outcome, "skipped");
  EXPECT_EQ(steps[1].details["note"], "not asked for");
  EXPECT_EQ(s.events.at(s.events.size() - 2).outcome, "skipped");
}

TEST(Pipeline, AReworkedDeviceKeepsOneRecordWithItsAttempts) {
  Station s;
  {
    auto ctx = s.context();
    const auto first = run_pipeline(
        ctx, {identify(), step("test", [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "gpio stuck"); })});
    ASSERT_EQ(first.outcome, DeviceOutcome::Rejected);
    EXPECT_EQ(std::filesystem::path(first.record).filename(), "7c-df-a1-00-00-09.json");
  }
  s.resources.run_id = "run-2";
  auto ctx = s.context();
  const auto second = run_pipeline(ctx, {identify(),
                                         step("serial",
                                              [](DeviceContext& c) {
                                                c.station.db.allocate_serial(kMac, SerialScheme{"T-", 4, 7});
                                                return StepOutcome{};
                                              }),
                                         step("test", [](DeviceContext&) { return StepOutcome{}; })});
  ASSERT_EQ(second.outcome, DeviceOutcome::Provisioned);
  // One file, named by the serial now; the MAC-named record of the first attempt is gone.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(s.dir / "records"))
    files.push_back(entry.path().filename().string());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], "T-0007.json");
  std::ifstream in(second.record);
  const auto record = nlohmann::json::parse(in);
  ASSERT_EQ(record["attempts"].size(), 2u);
  EXPECT_EQ(record["attempts"][0]["run_id"], "run-1");
  EXPECT_EQ(record["attempts"][0]["result"], "rejected");
  EXPECT_EQ(record["attempts"][0]["failed_step"], "test");
  EXPECT_EQ(record["attempts"][1]["run_id"], "run-2");
  EXPECT_EQ(record["attempts"][1]["result"], "provisioned");
  EXPECT_EQ(record["attempts"][1]["steps"].size(), 3u);
  EXPECT_EQ(record["status"], "provisioned");
}

TEST(Pipeline, AFailRejectsTheDeviceAndStopsTheSteps) {
  Station s;
  auto ctx = s.context();
  bool later_ran = false;
  const auto result = run_pipeline(
      ctx, {identify(), step("test", [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "gpio stuck"); }),
            step("later", [&](DeviceContext&) {
              later_ran = true;
              return StepOutcome{};
            })});
  EXPECT_EQ(result.outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(result.reason, "test: gpio stuck");
  EXPECT_FALSE(later_ran);
  EXPECT_EQ(s.db.find_device(kMac)->status, "rejected");
  EXPECT_EQ(s.db.steps(kMac).back().outcome, "fail");
}

TEST(Pipeline, TransientErrorsAreRetriedUpToTheStepsAttempts) {
  Station s;
  auto ctx = s.context();
  int tries = 0;
  const auto flaky = step(
      "flash",
      [&](DeviceContext&) -> StepOutcome {
        if (++tries < 3) throw TimeoutError("test.timeout", "no reply");
        return {};
      },
      3);
  EXPECT_EQ(run_pipeline(ctx, {identify(), flaky}).outcome, DeviceOutcome::Provisioned);
  EXPECT_EQ(tries, 3);

  Station t;
  auto ctx2 = t.context();
  tries = 0;
  const auto result = run_pipeline(ctx2, {identify(), step(
                                                          "flash",
                                                          [&](DeviceContext&) -> StepOutcome {
                                                            ++tries;
                                                            throw TimeoutError("test.timeout", "no reply");
                                                          },
                                                          2)});
  EXPECT_EQ(tries, 2);
  EXPECT_EQ(result.outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(t.db.steps(kMac).back().details["error"]["code"], "test.timeout");
  EXPECT_EQ(t.db.steps(kMac).back().details["error"]["kind"], "timeout");

  Station u;
  auto ctx3 = u.context();
  tries = 0;
  const auto bad_input = step(
      "flash",
      [&](DeviceContext&) -> StepOutcome {
        ++tries;
        throw BadInputError("test.bad", "corrupt image");
      },
      3);
  EXPECT_EQ(run_pipeline(ctx3, {identify(), bad_input}).outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(tries, 1) << "not transient: no retry";
}

TEST(Pipeline, AFailureAfterSomethingIrreversibleIsAFault) {
  Station s;
  auto ctx = s.context();
  const auto result = run_pipeline(
      ctx, {identify(),
            step("burn",
                 [](DeviceContext& c) {
                   c.mark_security_burned();
                   return StepOutcome{};
                 }),
            step("verify", [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "wrong serial"); })});
  EXPECT_EQ(result.outcome, DeviceOutcome::Fault);
  EXPECT_EQ(s.db.find_device(kMac)->status, "fault");
  EXPECT_EQ(s.db.steps(kMac).back().outcome, "error");
}

TEST(Pipeline, TeardownWipesSecretsEvenWhenAStepThrowsSomethingUnexpected) {
  Station s;
  auto ctx = s.context();
  const auto result = run_pipeline(
      ctx, {identify(),
            with(step("keys",
                      [](DeviceContext&) {
                        SecurityPlan plan;
                        plan.fe_key = security::FlashEncryptionKey::generate(security::XtsKeyLength::Aes128);
                        StepOutcome out;
                        out.output = StepOutput::of(std::move(plan));
                        return out;
                      }),
                 {}, output_of<SecurityPlan>()),
            step("boom", [](DeviceContext&) -> StepOutcome { throw std::runtime_error("bug"); })});
  // A bug is the station's fault, not the device's: interrupted, left resumable, never rejected.
  EXPECT_EQ(result.outcome, DeviceOutcome::Interrupted);
  EXPECT_NE(result.reason.find("internal error: bug"), std::string::npos);
  EXPECT_EQ(s.db.find_device(kMac)->status, "in_progress");
  EXPECT_EQ(ctx.output_count(), 0u) << "every output (the key with it) is destroyed at teardown";
  EXPECT_FALSE(result.record.empty());
}

// The error policy (docs/errors.md): station-side errors never reject a device.
TEST(Pipeline, StationErrorsInterruptTheDeviceInsteadOfRejectingIt) {
  struct Case {
    Error error;
    bool stop_station;
  };
  const std::vector<Case> cases{
      {DatabaseError("station.db_step", "disk I/O error"), true},
      {IoError("station.audit_write", "No space left on device"), true},
      {IoError("pki.cmp_unreachable", "CA down after 3 attempts"), true},
      {InternalError("station.bug", "a bug"), false},
      {CryptoError("pki.sign", "the CA could not sign"), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error.code());
    Station s;
    auto ctx = s.context();
    int later = 0;
    const auto result = run_pipeline(ctx, {identify(),
                                           step(
                                               "sign", [&](DeviceContext&) -> StepOutcome { throw c.error; }, 3),
                                           step("later", [&](DeviceContext&) {
                                             ++later;
                                             return StepOutcome{};
                                           })});
    EXPECT_EQ(result.outcome, DeviceOutcome::Interrupted);
    EXPECT_EQ(result.stop_station, c.stop_station);
    EXPECT_EQ(later, 0);
    EXPECT_EQ(s.db.find_device(kMac)->status, "in_progress") << "resumable, not rejected";
    const auto last = s.db.steps(kMac).back();
    EXPECT_EQ(last.outcome, "interrupted");
    EXPECT_EQ(last.details["error"]["code"], c.error.code());
    EXPECT_EQ(last.details["error"]["side"], "station");
  }
}

TEST(Pipeline, ALinkErrorIsTheDevicesAndIsRetriedFirst) {
  Station s;
  auto ctx = s.context();
  int tries = 0;
  const auto result = run_pipeline(ctx, {identify(), step(
                                                         "flash",
                                                         [&](DeviceContext&) -> StepOutcome {
                                                           ++tries;
                                                           throw IoError("transport.hang_up", "the port hung up");
                                                         },
                                                         3)});
  EXPECT_EQ(tries, 3);
  EXPECT_EQ(result.outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(s.db.steps(kMac).back().details["error"]["side"], "device");
}

TEST(Pipeline, RejectRunsTheOnRejectStepAndItsFailureMakesAFault) {
  Station s;
  auto ctx = s.context();
  std::string seen_reason;
  const StepDecl cleanup = with({"retire-identity", 1, false, false,
                                 [&](DeviceContext& c) {
                                   seen_reason = c.input<Rejection>().reason;
                                   return StepOutcome{};
                                 }},
                                inputs_of<Rejection>());
  const auto reject = step("test", [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "gpio stuck"); });
  EXPECT_EQ(run_pipeline(ctx, {identify(), reject}, &cleanup).outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(seen_reason, "test: gpio stuck");
  EXPECT_EQ(s.db.steps(kMac).back().step, "retire-identity");

  Station t;
  auto ctx2 = t.context();
  const StepDecl failing{"retire-identity", 1, false, false,
                         [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "partition not erased"); }};
  const auto result = run_pipeline(ctx2, {identify(), reject}, &failing);
  EXPECT_EQ(result.outcome, DeviceOutcome::Fault) << "it may not leave the fixture with its identity";
  EXPECT_NE(result.reason.find("partition not erased"), std::string::npos);
}

TEST(Pipeline, AResumedRunSkipsWhatTheDbShowsDone) {
  Station s;
  int ran = 0;
  const auto counted = step("flash", [&](DeviceContext&) {
    ++ran;
    return StepOutcome{};
  });
  const auto fails = step("test", [](DeviceContext&) { return StepOutcome(StepVerdict::Fail, "x"); });
  auto first = s.context();
  run_pipeline(first, {identify(), counted, fails});
  auto second = s.context();
  run_pipeline(second, {identify(), counted, fails});
  EXPECT_EQ(ran, 1);
  const auto steps = s.db.steps(kMac);
  EXPECT_EQ(steps[4].step, "flash");
  EXPECT_EQ(steps[4].outcome, "skipped");
}

TEST(Pipeline, SkipEndsTheDeviceWithoutAResult) {
  Station s;
  auto ctx = s.context();
  const auto result = run_pipeline(
      ctx, {step("connect", [](DeviceContext&) { return StepOutcome(StepVerdict::Skip, "already provisioned"); })});
  EXPECT_EQ(result.outcome, DeviceOutcome::Skipped);
  EXPECT_TRUE(result.record.empty());
}

// Typed outputs: a step reads only what it declares, and only once a step before it produced it.
TEST(Pipeline, AStepReadsTheOutputsItDeclaresConst) {
  Station s;
  auto ctx = s.context();
  std::string seen;
  const auto allocate = with(step("allocate",
                                  [](DeviceContext& c) {
                                    StepOutcome out;
                                    out.output =
                                        StepOutput::of(SerialAllocation{"ESP-7 for " + c.input<ConnectResult>().mac});
                                    return out;
                                  }),
                             inputs_of<ConnectResult>(), output_of<SerialAllocation>());
  const auto reader = with(step("read",
                                [&](DeviceContext& c) {
                                  seen = c.input<SerialAllocation>().serial;
                                  return StepOutcome{};
                                }),
                           inputs_of<SerialAllocation>());
  const auto result = run_pipeline(ctx, {identify(), allocate, reader});
  EXPECT_EQ(result.outcome, DeviceOutcome::Provisioned);
  EXPECT_EQ(seen, std::string("ESP-7 for ") + kMac);
  EXPECT_EQ(result.serial, seen);
}

TEST(Pipeline, ReadingAnUndeclaredOrUnproducedOutputIsAnInternalError) {
  struct Case {
    const char* name;
    std::vector<std::type_index> inputs;
    const char* code;
  };
  for (const auto& c : std::vector<Case>{{"undeclared", {}, "station.undeclared_input"},
                                         {"not produced", inputs_of<SerialAllocation>(), "station.missing_input"}}) {
    SCOPED_TRACE(c.name);
    Station s;
    auto ctx = s.context();
    const auto reader = with(step("read",
                                  [](DeviceContext& context) {
                                    context.input<SerialAllocation>();
                                    return StepOutcome{};
                                  }),
                             c.inputs);
    const auto result = run_pipeline(ctx, {identify(), reader});
    EXPECT_EQ(result.outcome, DeviceOutcome::Interrupted) << "a bug of the station, not the device's fault";
    const auto last = s.db.steps(kMac).back();
    EXPECT_EQ(last.step, "read");
    EXPECT_EQ(last.details["error"]["kind"], "internal");
    EXPECT_EQ(last.details["error"]["code"], c.code);
  }
}

TEST(Pipeline, AStepThatDoesNotReturnItsDeclaredOutputIsAnInternalError) {
  Station s;
  auto ctx = s.context();
  const auto silent =
      with(step("allocate", [](DeviceContext&) { return StepOutcome{}; }), {}, output_of<SerialAllocation>());
  const auto result = run_pipeline(ctx, {identify(), silent});
  EXPECT_EQ(result.outcome, DeviceOutcome::Interrupted);
  EXPECT_EQ(s.db.steps(kMac).back().details["error"]["code"], "station.wrong_output");
}

TEST(Pipeline, AResumedRunRebuildsTheOutputOfASkippedStep) {
  Station s;
  int ran = 0;
  auto produce = with(step("allocate",
                           [&](DeviceContext&) {
                             ++ran;
                             StepOutcome out;
                             out.output = StepOutput::of(SerialAllocation{"ESP-1"});
                             return out;
                           }),
                      {}, output_of<SerialAllocation>());
  produce.rebuild = [](DeviceContext&) { return StepOutput::of(SerialAllocation{"ESP-1 (rebuilt)"}); };
  std::string seen;
  const auto reader = with(step("read",
                                [&](DeviceContext& c) {
                                  seen = c.input<SerialAllocation>().serial;
                                  return StepOutcome(StepVerdict::Fail, "x");
                                }),
                           inputs_of<SerialAllocation>());
  auto first = s.context();
  run_pipeline(first, {identify(), produce, reader});
  EXPECT_EQ(seen, "ESP-1");
  auto second = s.context();
  run_pipeline(second, {identify(), produce, reader});
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(seen, "ESP-1 (rebuilt)");
}

// Per-step budgets: a reversible step past its budget is a timeout in the record (retried, then
// the device is rejected); a progress point past it stops the body there; an irreversible step
// is never cut.
TEST(Pipeline, AStepPastItsBudgetIsATimeout) {
  Station s;
  auto ctx = s.context();
  int tries = 0;
  auto slow = step(
      "flash",
      [&](DeviceContext&) {
        ++tries;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        return StepOutcome{};
      },
      2);
  slow.budget = std::chrono::milliseconds(5);
  const auto result = run_pipeline(ctx, {identify(), slow});
  EXPECT_EQ(result.outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(tries, 2) << "a timeout is retried like any other";
  const auto last = s.db.steps(kMac).back();
  EXPECT_EQ(last.details["error"]["kind"], "timeout");
  EXPECT_EQ(last.details["error"]["code"], "station.step_budget");
  EXPECT_NE(last.error.find("budget of 5 ms"), std::string::npos) << last.error;
}

TEST(Pipeline, AProgressPointPastTheBudgetStopsTheBody) {
  Station s;
  auto ctx = s.context();
  int blocks_after = 0;
  auto writer = step("flash", [&](DeviceContext& c) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    c.progress("flash", 1, 2);
    ++blocks_after;
    return StepOutcome{};
  });
  writer.budget = std::chrono::milliseconds(5);
  EXPECT_EQ(run_pipeline(ctx, {identify(), writer}).outcome, DeviceOutcome::Rejected);
  EXPECT_EQ(blocks_after, 0);
}

TEST(Pipeline, AnIrreversibleStepIsNeverCutAtItsEnd) {
  Station s;
  auto ctx = s.context();
  auto burn = step(
      "burn",
      [](DeviceContext&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        return StepOutcome{};
      },
      1, true);
  burn.budget = std::chrono::milliseconds(5);
  EXPECT_EQ(run_pipeline(ctx, {identify(), burn}).outcome, DeviceOutcome::Provisioned);
}

}  // namespace
}  // namespace espfab::station
