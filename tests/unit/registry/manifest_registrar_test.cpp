#include "registry/manifest_registrar.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "registry/certificate_identity.hpp"
#include "support/device_certificate.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::registry {
namespace {

class ManifestRegistrarTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  pki::LocalCa ca = pki::LocalCa::init(dir / "ca");
};

TEST_F(ManifestRegistrarTest, JsonLinesOncePerDevice) {
  const auto a = test::issue_device_certificate(ca, "ESP-000001");
  const auto b = test::issue_device_certificate(ca, "ESP-000002", "7c:df:a1:00:00:02");
  ManifestRegistrar registrar(dir / "out" / "manifest.jsonl", ManifestFormat::JsonLines);
  EXPECT_NE(registrar.register_device({"ESP-000001", "7c:df:a1:00:00:01", a.certificate_pem}).find("added"),
            std::string::npos);
  EXPECT_NE(registrar.register_device({"ESP-000001", "7c:df:a1:00:00:01", a.certificate_pem}).find("already"),
            std::string::npos);
  registrar.register_device({"", "7c:df:a1:00:00:02", b.certificate_pem});  // id from the CN
  const auto text = read_text_file(dir / "out" / "manifest.jsonl");
  std::vector<nlohmann::json> lines;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start))
    lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["id"], "ESP-000001");
  EXPECT_EQ(lines[0]["certificate_pem"], a.certificate_pem);
  EXPECT_EQ(lines[0]["certificate_sha256"], certificate_identity(a.certificate_pem).sha256);
  EXPECT_EQ(lines[1]["id"], "ESP-000002");
  EXPECT_EQ(lines[1]["mac"], "7c:df:a1:00:00:02");
}

TEST_F(ManifestRegistrarTest, CsvQuotesThePemAndKeepsOneHeader) {
  const auto a = test::issue_device_certificate(ca, "ESP-000001");
  const auto b = test::issue_device_certificate(ca, "ESP-000002");
  ManifestRegistrar registrar(dir / "m.csv", ManifestFormat::Csv);
  registrar.register_device({"ESP-000001", "m1", a.certificate_pem});
  registrar.register_device({"ESP-000002", "m2", b.certificate_pem});
  registrar.register_device({"ESP-000001", "m1", a.certificate_pem});
  const auto text = read_text_file(dir / "m.csv");
  EXPECT_TRUE(text.starts_with("id,mac,certificate_sha256,certificate_pem\r\n"));
  EXPECT_EQ(text.find("id,mac", 1), std::string::npos);
  const auto row = "\"ESP-000001\",\"m1\",\"" + certificate_identity(a.certificate_pem).sha256 + "\",\"" +
                   a.certificate_pem + "\"\r\n";
  EXPECT_NE(text.find(row), std::string::npos);
  EXPECT_EQ(text.find("ESP-000001"), text.rfind("ESP-000001"));  // not written twice
}

TEST_F(ManifestRegistrarTest, AnotherCertificateUnderTheSameIdIsAConflict) {
  const auto first = test::issue_device_certificate(ca, "ESP-000001");
  const auto second = test::issue_device_certificate(ca, "ESP-000001");
  for (const auto format : {ManifestFormat::JsonLines, ManifestFormat::Csv}) {
    ManifestRegistrar registrar(dir / (format == ManifestFormat::Csv ? "c.csv" : "j.jsonl"), format);
    registrar.register_device({"ESP-000001", "m", first.certificate_pem});
    EXPECT_THROW(registrar.register_device({"ESP-000001", "m", second.certificate_pem}), PolicyRefusalError);
  }
}

TEST_F(ManifestRegistrarTest, RejectsBadInput) {
  ManifestRegistrar registrar(dir / "m.jsonl", ManifestFormat::JsonLines);
  EXPECT_THROW(registrar.register_device({"ESP-1", "m", "not a certificate"}), BadInputError);
  const auto a = test::issue_device_certificate(ca, "ESP-000001");
  EXPECT_THROW(registrar.register_device({"ESP/1", "m", a.certificate_pem}), BadInputError);
  EXPECT_THROW(registrar.deregister_device("ESP-000001"), PolicyRefusalError);
  EXPECT_THROW(parse_manifest_format("xml"), BadInputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.jsonl"));
}

TEST_F(ManifestRegistrarTest, CertificateIdentityIsTheCnAndFingerprint) {
  const auto a = test::issue_device_certificate(ca, "ESP-000777");
  const auto identity = certificate_identity(a.certificate_pem);
  EXPECT_EQ(identity.common_name, "ESP-000777");
  EXPECT_EQ(identity.sha256.size(), 64u);
  EXPECT_THROW(check_device_id("a+b"), BadInputError);
  EXPECT_THROW(check_device_id("a#"), BadInputError);
  EXPECT_THROW(check_device_id(""), BadInputError);
  EXPECT_NO_THROW(check_device_id("ESP-000777"));
}

}  // namespace
}  // namespace espfab::registry
