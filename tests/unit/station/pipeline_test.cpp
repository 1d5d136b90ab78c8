// The pipeline runner with scripted step bodies: Continue/Fail/Retry/Stop/Skip, retries of
// transient errors, failure after an irreversible step as a fault, skipping what a resumed run
// finds done, and teardown that always runs (secrets wiped, record written, result committed).
#include "station/pipeline.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "label/label_printer.hpp"
#include "pki/local_ca.hpp"
#include "registry/manifest_registrar.hpp"
#include "station/sqlite_station_db.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace espfab::station {
namespace {

// A TCP port that accepts connections and never answers: enough for a FixtureLink the scripted
// steps do not talk through.
class SilentPort {
 public:
  SilentPort() {
    fd_.reset(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_.get(), 4);
    socklen_t length = sizeof address;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length);
    url_ = "socket://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  }
  const std::string& url() const { return url_; }

 private:
  UniqueFd fd_;
  std::string url_;
};

struct Station {
  test::TempDir dir;
  StationProfile profile;
  FirmwareSet firmware;
  SqliteStationDb db{dir / "station.db"};
  AuditLog audit{dir / "audit.jsonl", "test-station"};
  pki::LocalCa ca = pki::LocalCa::init(dir / "ca");
  registry::ManifestRegistrar registrar{dir / "manifest.jsonl", registry::ManifestFormat::JsonLines};
  label::DirectoryLabelSink labels{dir / "labels", {label::LabelFormat::Png}};
  Outbox outbox{db, registrar, labels, dir / "records"};
  flash::CompressionCache cache;
  StationResources resources{profile, firmware, db, audit, ca, outbox, cache, "run-1", "test", dir / "records"};
  SilentPort port;
  FixtureLink fixture{port.url(), 115200};
  std::vector<StationEvent> events;

  DeviceContext context() {
    return DeviceContext(resources, fixture, "fixture 1", [this](const StationEvent& e) { events.push_back(e); });
  }
};

constexpr const char* kMac = "7c:df:a1:00:00:09";

StepDecl identify() {
  return {"connect", 1, false, false, [](DeviceContext& ctx) {
            ctx.mac = kMac;
            ctx.station.db.touch_device(ctx.mac, "fixture 1");
            return StepOutcome{};
          }};
}

StepDecl step(std::string name, std::function<StepOutcome(DeviceContext&)> body, unsigned attempts = 1,
              bool irreversible = false) {
  return {std::move(name), attempts, irreversible, true, std::move(body)};
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
                   c.security_burned = true;
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
  const auto result =
      run_pipeline(ctx, {identify(),
                         step("keys",
                              [](DeviceContext& c) {
                                c.fe_key = security::FlashEncryptionKey::generate(security::XtsKeyLength::Aes128);
                                c.secure_cert_partition = SecretBytes(std::vector<std::uint8_t>(64, 0x5A));
                                return StepOutcome{};
                              }),
                         step("boom", [](DeviceContext&) -> StepOutcome { throw std::runtime_error("bug"); })});
  // A bug is the station's fault, not the device's: interrupted, left resumable, never rejected.
  EXPECT_EQ(result.outcome, DeviceOutcome::Interrupted);
  EXPECT_NE(result.reason.find("internal error: bug"), std::string::npos);
  EXPECT_EQ(s.db.find_device(kMac)->status, "in_progress");
  EXPECT_FALSE(ctx.fe_key.has_value());
  EXPECT_TRUE(ctx.secure_cert_partition.empty());
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
  const StepDecl cleanup{"retire-identity", 1, false, false, [&](DeviceContext& c) {
                           seen_reason = c.reject_reason;
                           return StepOutcome{};
                         }};
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

}  // namespace
}  // namespace espfab::station
