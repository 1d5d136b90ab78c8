#include "registry/broker_settings.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::registry {
namespace {

TEST(BrokerSettings, ParsesUrls) {
  auto a = parse_broker_url("mqtts://broker.example:8884");
  EXPECT_EQ(a.host, "broker.example");
  EXPECT_EQ(a.port, 8884);
  EXPECT_TRUE(a.tls);
  a = parse_broker_url("mqtts://10.0.0.5");
  EXPECT_EQ(a.port, 8883);
  a = parse_broker_url("mqtt://localhost/");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 1883);
  EXPECT_FALSE(a.tls);
}

TEST(BrokerSettings, BadUrlsNameTheProblem) {
  for (const char* url : {"http://x:1", "mqtts://:8883", "mqtts://x:0", "mqtts://x:port", "mqtts://x:70000"}) {
    try {
      parse_broker_url(url);
      ADD_FAILURE() << url;
    } catch (const BadInputError& error) {
      EXPECT_NE(error.message().find(url), std::string::npos) << error.message();
    }
  }
}

TEST(BrokerSettings, PasswordFromEnvironment) {
  BrokerSettings settings;
  settings.password_env = "ESPFAB_TEST_BROKER_PASSWORD";
  ::unsetenv("ESPFAB_TEST_BROKER_PASSWORD");
  EXPECT_THROW(load_broker_password(settings), BadInputError);
  ::setenv("ESPFAB_TEST_BROKER_PASSWORD", "s3cret", 1);
  const auto password = load_broker_password(settings);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(password.data()), password.size()), "s3cret");
  ::unsetenv("ESPFAB_TEST_BROKER_PASSWORD");
}

TEST(BrokerSettings, PasswordFileMustBePrivate) {
  test::TempDir dir;
  BrokerSettings settings;
  settings.password_file = dir / "password";
  EXPECT_THROW(load_broker_password(settings), BadInputError);  // missing
  std::ofstream(settings.password_file) << "pw-in-file\n";
  ::chmod(settings.password_file.c_str(), 0644);
  try {
    load_broker_password(settings);
    ADD_FAILURE() << "a 0644 password file was accepted";
  } catch (const BadInputError& error) {
    EXPECT_NE(error.hint().find("chmod 600"), std::string::npos);
  }
  ::chmod(settings.password_file.c_str(), 0600);
  const auto password = load_broker_password(settings);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(password.data()), password.size()), "pw-in-file");
}

TEST(BrokerSettings, IncompleteSettingsAreRefused) {
  test::TempDir dir;
  std::ofstream(dir / "ca.crt") << "x";
  BrokerSettings settings;
  settings.url = "mqtts://127.0.0.1:8883";
  EXPECT_THROW(check_broker_settings(settings), BadInputError);  // no CA
  settings.ca_file = dir / "ca.crt";
  EXPECT_THROW(check_broker_settings(settings), BadInputError);  // no login
  settings.cert_file = dir / "ca.crt";
  EXPECT_THROW(check_broker_settings(settings), BadInputError);  // key missing
  settings.key_file = dir / "ca.crt";
  EXPECT_NO_THROW(check_broker_settings(settings));
  settings.key_file = dir / "missing.key";
  EXPECT_THROW(check_broker_settings(settings), BadInputError);
  settings.cert_file.clear();
  settings.key_file.clear();
  settings.username = "admin";
  EXPECT_THROW(check_broker_settings(settings), BadInputError);  // no password source
  settings.password_env = "X";
  EXPECT_NO_THROW(check_broker_settings(settings));
}

}  // namespace
}  // namespace espfab::registry
