// Device keys and CSRs from the subject template.
#include "pki/csr.hpp"

#include <gtest/gtest.h>

#include "pki/device_key.hpp"
#include "util/error.hpp"

namespace espfab::pki {
namespace {

const DeviceNames kDevice{"ESP-000123", "7c:df:a1:e2:c3:b4"};

TEST(DeviceKey, TypesAndGeneration) {
  EXPECT_EQ(parse_key_type("p256"), KeyType::EcP256);
  EXPECT_EQ(parse_key_type("rsa3072"), KeyType::Rsa3072);
  EXPECT_THROW(parse_key_type("dsa"), BadInputError);
  EXPECT_EQ(describe_key(generate_key(KeyType::EcP256).get()), "EC P-256");
  EXPECT_EQ(describe_key(generate_key(KeyType::Rsa2048).get()), "RSA 2048");
}

TEST(Csr, DefaultTemplateCnIsSerialAndSerialNumberIsMac) {
  auto key = generate_key(KeyType::EcP256);
  const X509ReqPtr csr = make_csr(key.get(), {}, kDevice);
  EXPECT_EQ(name_to_string(X509_REQ_get_subject_name(csr.get())), "serialNumber=7c:df:a1:e2:c3:b4,CN=ESP-000123");
  EXPECT_EQ(X509_REQ_verify(csr.get(), key.get()), 1);
  const X509ReqPtr back = csr_from_pem(csr_to_pem(csr.get()));
  EXPECT_EQ(X509_REQ_verify(back.get(), X509_REQ_get0_pubkey(back.get())), 1);
}

TEST(Csr, FullTemplateWithSans) {
  auto key = generate_key(KeyType::Rsa2048);
  SubjectTemplate subject;
  subject.common_name = "dev-{serial}";
  subject.organization = "espfab test";
  subject.organizational_unit = "line 1";
  subject.serial_number = "";
  subject.dns_names = {"{serial}.devices.example"};
  subject.uris = {"urn:dev:mac:{mac}"};
  const X509ReqPtr csr = make_csr(key.get(), subject, kDevice);
  EXPECT_EQ(name_to_string(X509_REQ_get_subject_name(csr.get())), "CN=dev-ESP-000123,OU=line 1,O=espfab test");
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(csr.get());
  ASSERT_NE(extensions, nullptr);
  ASSERT_EQ(sk_X509_EXTENSION_num(extensions), 1);
  auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(extensions, 0)));
  ASSERT_NE(names, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(names), 2);
  int type = 0;
  auto* dns = static_cast<ASN1_IA5STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, 0), &type));
  EXPECT_EQ(type, GEN_DNS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns))), "ESP-000123.devices.example");
  GENERAL_NAMES_free(names);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
}

TEST(Csr, TemplateErrors) {
  auto key = generate_key(KeyType::EcP256);
  SubjectTemplate bad;
  bad.common_name = "{model}";
  EXPECT_THROW(make_csr(key.get(), bad, kDevice), BadInputError);
  bad.common_name = "";
  EXPECT_THROW(make_csr(key.get(), bad, kDevice), BadInputError);
  bad.common_name = std::string(65, 'x');
  EXPECT_THROW(make_csr(key.get(), bad, kDevice), BadInputError);
  EXPECT_EQ(expand_template("{serial}/{mac}", kDevice), "ESP-000123/7c:df:a1:e2:c3:b4");
}

}  // namespace
}  // namespace espfab::pki
