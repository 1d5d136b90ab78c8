// The registrar against a real Mosquitto 2 broker (cookbook §1): TLS with client certificates,
// use_identity_as_username, Dynamic Security with default deny. What a device may do is read from
// MQTT v5 PUBACK reason codes: 0/16 allowed, 135 not authorized.
#include <gtest/gtest.h>

#include "registry/dynsec_registrar.hpp"
#include "support/device_certificate.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::registry {
namespace {

constexpr int kNotAuthorized = 135;

bool allowed(int reason) { return reason == 0 || reason == 16; }

class DynsecBrokerTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  pki::LocalCa station_ca = pki::LocalCa::init(dir / "station-ca");
  test::MosquittoBroker broker{dir / "broker", {dir / "station-ca" / "ca.crt"}};

  BrokerSettings admin() const {
    BrokerSettings settings;
    settings.url = broker.url();
    settings.ca_file = broker.ca_file();
    settings.cert_file = broker.admin_cert();
    settings.key_file = broker.admin_key();
    settings.timeout = std::chrono::milliseconds(3000);
    settings.attempts = 2;
    settings.backoff = std::chrono::milliseconds(50);
    return settings;
  }

  // A station-issued device certificate and key, as files a device's MQTT client can use.
  std::pair<std::filesystem::path, std::filesystem::path> device_files(const std::string& serial,
                                                                       const test::DeviceCertificate& device) {
    const auto cert = dir / (serial + ".crt");
    const auto key = dir / (serial + ".key");
    write_text_file_atomic(cert, device.certificate_pem);
    write_text_file_atomic(key, device.key_pem, 0600);
    return {cert, key};
  }
};

TEST_F(DynsecBrokerTest, DeviceMayPublishOnlyWhileRegisteredAndOnlyUnderItsOwnTopic) {
  const auto device = test::issue_device_certificate(station_ca, "ESP-000123");
  const auto [cert, key] = device_files("ESP-000123", device);
  // Not registered: connected (the allow-list cannot refuse a CONNECT in 2.0.11) but not authorized.
  EXPECT_EQ(test::publish_reason(broker, cert, key, "devices/ESP-000123/hello"), kNotAuthorized) << broker.log();

  DynsecRegistrar registrar(admin());
  const auto result = registrar.register_device({"ESP-000123", "7c:df:a1:00:00:01", device.certificate_pem});
  EXPECT_NE(result.find("ESP-000123 registered"), std::string::npos) << result;
  EXPECT_TRUE(allowed(test::publish_reason(broker, cert, key, "devices/ESP-000123/hello"))) << broker.log();
  EXPECT_TRUE(allowed(test::publish_reason(broker, cert, key, "devices/ESP-000123/telemetry/temp")));
  EXPECT_EQ(test::publish_reason(broker, cert, key, "devices/ESP-000777/hello"), kNotAuthorized);
  EXPECT_EQ(test::publish_reason(broker, cert, key, "devices"), kNotAuthorized);

  const auto client = registrar.lookup("ESP-000123");
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ((*client)["roles"][0]["rolename"], "espfab-device-ESP-000123");

  EXPECT_NE(registrar.deregister_device("ESP-000123").find("deregistered"), std::string::npos);
  EXPECT_EQ(test::publish_reason(broker, cert, key, "devices/ESP-000123/hello"), kNotAuthorized);
  EXPECT_FALSE(registrar.lookup("ESP-000123").has_value());
  EXPECT_NE(registrar.deregister_device("ESP-000123").find("was not registered"), std::string::npos);
}

TEST_F(DynsecBrokerTest, RegisteringTwiceIsSuccessAnotherCertificateIsAConflict) {
  const auto device = test::issue_device_certificate(station_ca, "ESP-000124");
  DynsecRegistrar registrar(admin());
  registrar.register_device({"ESP-000124", "m", device.certificate_pem});
  EXPECT_NE(registrar.register_device({"ESP-000124", "m", device.certificate_pem}).find("already registered"),
            std::string::npos);
  const auto reissued = test::issue_device_certificate(station_ca, "ESP-000124");
  try {
    registrar.register_device({"ESP-000124", "m", reissued.certificate_pem});
    ADD_FAILURE() << "a second certificate under the same CN was accepted";
  } catch (const PolicyRefusalError& error) {
    EXPECT_EQ(error.code(), "registry.conflict");
    EXPECT_NE(error.hint().find("espfab deregister ESP-000124"), std::string::npos);
  }
  // The CN must be the device id.
  EXPECT_THROW(registrar.register_device({"ESP-999999", "m", device.certificate_pem}), BadInputError);
  // After deregistration the re-issued certificate registers.
  registrar.deregister_device("ESP-000124");
  EXPECT_NO_THROW(registrar.register_device({"ESP-000124", "m", reissued.certificate_pem}));
}

TEST_F(DynsecBrokerTest, BrokerDownIsATransientErrorAfterBoundedRetries) {
  broker.stop();
  const auto device = test::issue_device_certificate(station_ca, "ESP-000125");
  DynsecRegistrar registrar(admin());
  const auto start = std::chrono::steady_clock::now();
  try {
    registrar.register_device({"ESP-000125", "m", device.certificate_pem});
    ADD_FAILURE() << "registered with the broker down";
  } catch (const IoError& error) {
    EXPECT_NE(error.describe().find("after 2 attempts"), std::string::npos) << error.describe();
    EXPECT_NE(error.message().find(broker.url()), std::string::npos) << error.message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  broker.start();
  EXPECT_NO_THROW(registrar.register_device({"ESP-000125", "m", device.certificate_pem}));
}

TEST_F(DynsecBrokerTest, ANonAdminLoginIsRefusedWithAClearError) {
  const auto other = dir / "other";
  broker.issue_client("operator", other.string() + ".crt", other.string() + ".key");
  auto settings = admin();
  settings.cert_file = other.string() + ".crt";
  settings.key_file = other.string() + ".key";
  settings.attempts = 1;
  DynsecRegistrar registrar(settings);
  const auto device = test::issue_device_certificate(station_ca, "ESP-000126");
  EXPECT_THROW(registrar.register_device({"ESP-000126", "m", device.certificate_pem}), PolicyRefusalError);
}

}  // namespace
}  // namespace espfab::registry
