// The identity core's DER walk to the subject CN (x509_cn.c), on certificates OpenSSL makes:
// the CN wherever it is in the subject, the first of two, none, and damaged DER.
#include "espfab_identity/x509_cn.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/firmware/test_certificate.hpp"

namespace espfab::test {
namespace {

std::string cn_of(const std::vector<std::uint8_t>& der) {
  const std::uint8_t* cn = nullptr;
  std::size_t len = 0;
  switch (espfab_x509_subject_cn(der.data(), der.size(), &cn, &len)) {
    case ESPFAB_X509_CN_FOUND: return std::string(reinterpret_cast<const char*>(cn), len);
    case ESPFAB_X509_NO_CN: return "<no CN>";
    case ESPFAB_X509_MALFORMED: return "<malformed>";
  }
  return "?";
}

TEST(X509Cn, FindsTheSubjectsCommonName) {
  EXPECT_EQ(cn_of(make_test_certificate({{"CN", "ESP-000001"}}).der), "ESP-000001");
  EXPECT_EQ(cn_of(make_test_certificate({{"C", "DE"}, {"O", "ACME"}, {"CN", "ESP-000002"}, {"OU", "line 3"}}).der),
            "ESP-000002");
  EXPECT_EQ(cn_of(make_test_certificate({{"O", "ACME"}, {"CN", "first"}, {"CN", "second"}}).der), "first");
  EXPECT_EQ(cn_of(make_test_certificate({{"O", "ACME"}, {"CN", "in-one-rdn"}}, true).der), "in-one-rdn");
  EXPECT_EQ(cn_of(make_test_certificate({{"CN", "Gr\xc3\xbc\xc3\x9f"}}).der), "Gr\xc3\xbc\xc3\x9f");
  EXPECT_EQ(cn_of(make_test_certificate({{"O", "ACME"}}).der), "<no CN>");
}

TEST(X509Cn, DamagedDerIsMalformedNeverReadPastItsEnd) {
  const auto der = make_test_certificate({{"O", "ACME"}, {"CN", "ESP-000003"}}).der;
  for (std::size_t len = 0; len + 1 < der.size(); ++len) {
    // Every prefix ends inside the certificate's outer SEQUENCE.
    EXPECT_EQ(cn_of(std::vector<std::uint8_t>(der.begin(), der.begin() + static_cast<long>(len))), "<malformed>")
        << len;
  }
  auto wrong_tag = der;
  wrong_tag[0] = 0x31;
  EXPECT_EQ(cn_of(wrong_tag), "<malformed>");
  EXPECT_EQ(espfab_x509_der_length(der.data(), der.size()), der.size());
  auto padded = der;
  padded.insert(padded.end(), {0, 0, 0});
  EXPECT_EQ(espfab_x509_der_length(padded.data(), padded.size()), der.size());
  EXPECT_EQ(espfab_x509_der_length(der.data(), der.size() - 1), 0u);
}

}  // namespace
}  // namespace espfab::test
