// The station's in-memory fakes (tests/support/station) keep the contracts of the real plugs, so
// step tests on them mean something: the DB's serial, step and outbox rules, a CA whose
// certificates chain to it, a registrar that is idempotent and refuses conflicts, a label printer
// that validates first.
#include <gtest/gtest.h>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "support/expect_error.hpp"
#include "support/station/fake_ca_backend.hpp"
#include "support/station/fake_label_sink.hpp"
#include "support/station/fake_registrar.hpp"
#include "support/station/fake_station_db.hpp"

namespace espfab::test {
namespace {

constexpr const char* kMac = "7c:df:a1:00:00:09";

TEST(FakeStationDb, AllocatesSerialsOncePerMacFromTheSchemesFirstNumber) {
  FakeStationDb db;
  station::SerialScheme scheme{"T-", 4, 41};
  expect_error<InternalError>([&] { db.allocate_serial(kMac, scheme); }, "station.db_no_device");
  db.touch_device(kMac, "fixture 1");
  db.touch_device("7c:df:a1:00:00:0a", "fixture 2");
  EXPECT_EQ(db.allocate_serial(kMac, scheme), "T-0041");
  EXPECT_EQ(db.allocate_serial(kMac, scheme), "T-0041") << "idempotent per MAC";
  EXPECT_EQ(db.allocate_serial("7c:df:a1:00:00:0a", scheme), "T-0042");
  EXPECT_EQ(db.find_device("T-0042")->mac, "7c:df:a1:00:00:0a");
  EXPECT_EQ(db.last_on_fixture("fixture 1")->mac, kMac);
  EXPECT_EQ(db.touch_device(kMac, "fixture 1").status, "in_progress");
}

TEST(FakeStationDb, TheNewestStepResultDecidesWhetherAStepIsDone) {
  FakeStationDb db;
  const auto row = [](const char* outcome) {
    return station::StepRow{kMac, "run", "flash", outcome, "", 0, nlohmann::json::array(), "", {}};
  };
  EXPECT_FALSE(db.step_done(kMac, "flash"));
  db.record_step(row("pass"));
  EXPECT_TRUE(db.step_done(kMac, "flash"));
  db.record_step(row("retired"));
  EXPECT_FALSE(db.step_done(kMac, "flash"));
  db.record_step(row("skipped"));
  EXPECT_TRUE(db.step_done(kMac, "flash"));
  EXPECT_EQ(db.steps(kMac).size(), 3u);
}

TEST(FakeStationDb, RevokingMovesTheCertificateToTheRevocations) {
  FakeStationDb db;
  EXPECT_FALSE(db.revoke_certificate(kMac, "x").has_value());
  db.store_certificate({kMac, "ESP-1", "01", "ab", "pem", "now"});
  const auto revoked = db.revoke_certificate(kMac, "rejected");
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->sha256, "ab");
  EXPECT_FALSE(db.certificate(kMac).has_value());
  ASSERT_EQ(db.revocations(kMac).size(), 1u);
  EXPECT_EQ(db.revocations(kMac)[0].reason, "rejected");
  EXPECT_EQ(db.all_certificates().size(), 1u);
}

TEST(FakeStationDb, TheOutboxHoldsOneItemPerKindAndDevice) {
  FakeStationDb db;
  const auto id = db.enqueue("label", kMac, {{"serial", "ESP-1"}});
  EXPECT_EQ(db.enqueue("label", kMac, {{"serial", "other"}}), id);
  db.enqueue("register", kMac, {});
  EXPECT_EQ(db.pending("label").size(), 1u);
  db.outbox_attempt(id, false, "offline");
  db.outbox_attempt(id, true, "");
  EXPECT_EQ(db.pending().size(), 1u);
  const auto items = db.outbox(kMac);
  EXPECT_EQ(items[0].state, "done");
  EXPECT_EQ(items[0].attempts, 2u);
  EXPECT_EQ(items[0].payload["serial"], "ESP-1");
}

TEST(FakeStationDb, ACallSetToFailThrowsADatabaseErrorAfterItsSuccesses) {
  FakeStationDb db;
  db.fail_on("record_step", 1);
  const station::StepRow row{kMac, "run", "a", "pass", "", 0, nlohmann::json::array(), "", {}};
  db.record_step(row);
  expect_error<DatabaseError>([&] { db.record_step(row); }, "station.db_fake");
  db.heal("record_step");
  db.record_step(row);
  EXPECT_EQ(db.steps(kMac).size(), 2u);
  const auto calls = db.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "record_step"), 3);
}

TEST(FakeCaBackend, SignsCertificatesThatChainToItAndIndexesThem) {
  FakeCaBackend ca;
  const auto key = pki::generate_key(pki::KeyType::EcP256);
  const auto csr = pki::make_csr(key.get(), {}, {"ESP-000001", kMac});
  const auto issued = ca.sign(csr.get(), {});
  EXPECT_EQ(pki::verify_chain(issued.certificate_pem, ca.ca_certificate_pem()), "");
  EXPECT_NE(issued.subject.find("CN=ESP-000001"), std::string::npos);
  ASSERT_EQ(ca.signed_subjects().size(), 1u);
  const auto second = ca.sign(pki::make_csr(key.get(), {}, {"ESP-000002", kMac}).get(), {});
  EXPECT_NE(second.serial_hex, issued.serial_hex);
  const auto index = ca.issued_index();
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->size(), 2u);
  EXPECT_TRUE(pki::issued_to((*index)[0], "ESP-000001"));
  EXPECT_EQ((*index)[0].sha256.size(), 64u);
}

TEST(FakeCaBackend, KnobsMakeSignFailAndHideTheIndex) {
  FakeCaBackend ca;
  ca.before_sign = [] { throw IoError("pki.fake_down", "the CA is down", "start it"); };
  const auto key = pki::generate_key(pki::KeyType::EcP256);
  const auto csr = pki::make_csr(key.get(), {}, {"ESP-000001", kMac});
  expect_error<IoError>([&] { ca.sign(csr.get(), {}); }, "pki.fake_down");
  EXPECT_EQ(ca.sign_calls(), 1u);
  EXPECT_TRUE(ca.issued_index()->empty());
  ca.sign_unrecorded(csr.get());
  EXPECT_EQ(ca.issued_index()->size(), 1u) << "issued, but nobody was told";
  EXPECT_TRUE(ca.signed_subjects().empty());
  ca.keeps_index = false;
  EXPECT_FALSE(ca.issued_index().has_value());
}

TEST(FakeRegistrar, IsIdempotentRefusesConflictsAndFailsOnRequest) {
  FakeRegistrar registrar;
  const registry::DeviceRegistration device{"ESP-1", kMac, "pem-1"};
  EXPECT_EQ(registrar.register_device(device), "registered ESP-1");
  EXPECT_EQ(registrar.register_device(device), "already registered ESP-1");
  expect_error<PolicyRefusalError>([&] { registrar.register_device({"ESP-1", kMac, "pem-2"}); }, "registry.conflict");
  registrar.fail_next(1);
  expect_error<IoError>([&] { registrar.deregister_device("ESP-1"); }, "registry.fake_unreachable");
  EXPECT_EQ(registrar.registered().size(), 1u);
  EXPECT_EQ(registrar.deregister_device("ESP-1"), "deregistered ESP-1");
  EXPECT_TRUE(registrar.registered().empty());
  EXPECT_EQ(registrar.calls().size(), 5u);
}

TEST(FakeLabelSink, ValidatesThenPrintsOrFailsOnRequest) {
  FakeLabelSink labels;
  expect_error<BadInputError>([&] { labels.print({"ESP 1", kMac, "2026-12-07"}); }, "label.bad_serial");
  labels.fail_next(1);
  expect_error<IoError>([&] { labels.print({"ESP-1", kMac, "2026-12-07"}); }, "label.fake_offline");
  EXPECT_TRUE(labels.printed().empty());
  EXPECT_EQ(labels.print({"ESP-1", "7CDFA1000009", "2026-12-07"}), "printed ESP-1");
  ASSERT_EQ(labels.printed().size(), 1u);
  EXPECT_EQ(labels.printed()[0].mac, kMac);
  EXPECT_EQ(labels.print_calls(), 3u);
}

}  // namespace
}  // namespace espfab::test
