// The label fields, their validation and the EF1 payload.
#include "label/label_payload.hpp"

#include <gtest/gtest.h>

#include <string>

#include "label_test_support.hpp"

namespace espfab::label {
namespace {

using test::kSamplePayload;
using test::sample_fields;
using test::thrown_by;

LabelFields with(std::string serial, std::string mac, std::string date) {
  return LabelFields{std::move(serial), std::move(mac), std::move(date)};
}

TEST(label_payload, EncodesTheDocumentedExample) { EXPECT_EQ(encode_label_payload(sample_fields()), kSamplePayload); }

TEST(label_payload, MacWithoutSeparatorsOrInUpperCaseEncodesTheSame) {
  EXPECT_EQ(encode_label_payload(with("ESP-000123", "7cdfa1000001", "2026-11-23")), kSamplePayload);
  EXPECT_EQ(encode_label_payload(with("ESP-000123", "7C:DF:A1:00:00:01", "2026-11-23")), kSamplePayload);
  EXPECT_EQ(encode_label_payload(with("ESP-000123", "7CDFA1000001", "2026-11-23")), kSamplePayload);
}

TEST(label_payload, ParseIsTheInverseOfEncode) {
  const LabelFields fields = parse_label_payload(kSamplePayload);
  EXPECT_EQ(fields.serial, "ESP-000123");
  EXPECT_EQ(fields.mac, "7c:df:a1:00:00:01");
  EXPECT_EQ(fields.provisioned_date, "2026-11-23");
  for (const LabelFields& original :
       {with("a", "000000000000", "2000-01-01"), with("Z_9-x", "FF:FF:FF:FF:FF:FF", "2024-02-29"),
        with(std::string(32, 'S'), "0123456789ab", "9999-12-31")}) {
    const std::string payload = encode_label_payload(original);
    const LabelFields back = parse_label_payload(payload);
    EXPECT_EQ(back.serial, original.serial);
    EXPECT_EQ(back.mac, normalize_mac(original.mac));
    EXPECT_EQ(back.provisioned_date, original.provisioned_date);
    EXPECT_EQ(encode_label_payload(back), payload);
  }
}

TEST(label_payload, NormalizesMacToLowerCaseColons) {
  EXPECT_EQ(normalize_mac("7CDFA1E2C3B4"), "7c:df:a1:e2:c3:b4");
  EXPECT_EQ(normalize_mac("7c:DF:a1:e2:C3:b4"), "7c:df:a1:e2:c3:b4");
}

TEST(label_payload, SerialRules) {
  EXPECT_EQ(validate_serial("ESP-000123_b"), "ESP-000123_b");
  EXPECT_EQ(validate_serial(std::string(32, '7')), std::string(32, '7'));
  for (const std::string bad : {"", "ESP 1", "ESP;1", "ESP:1", "ESP^1", "ESP~1", "ESP/1", "ESP\xc3\xa9", "ESP\n"}) {
    const Error error = thrown_by([&] { validate_serial(bad); });
    EXPECT_EQ(error.kind(), ErrorKind::BadInput) << bad;
    EXPECT_EQ(error.code(), "label.bad_serial") << bad;
    EXPECT_NE(error.hint().find("A-Z"), std::string::npos) << error.hint();
  }
  const Error too_long = thrown_by([] { validate_serial(std::string(33, 'S')); });
  EXPECT_EQ(too_long.code(), "label.bad_serial");
  EXPECT_NE(too_long.message().find("33 characters"), std::string::npos) << too_long.message();
  EXPECT_NE(thrown_by([] { validate_serial("ESP 1"); }).message().find("position 4"), std::string::npos);
}

TEST(label_payload, MacRules) {
  for (const std::string bad :
       {"", "7c:df:a1:00:00", "7cdfa10000", "7cdfa100000102", "7c-df-a1-00-00-01", "7c:df:a1:00:00:0g", "7cdfa100000g",
        "7cd:fa1:00:00:01", "7c:df:a1:00:00:01:", " 7c:df:a1:00:00:1", "7c:df:a1:00:00:01 "}) {
    const Error error = thrown_by([&] { normalize_mac(bad); });
    EXPECT_EQ(error.kind(), ErrorKind::BadInput) << bad;
    EXPECT_EQ(error.code(), "label.bad_mac") << bad;
    EXPECT_NE(error.hint().find("aa:bb:cc:dd:ee:ff"), std::string::npos);
  }
}

TEST(label_payload, DateRules) {
  EXPECT_EQ(validate_date("2024-02-29"), "2024-02-29");
  EXPECT_EQ(validate_date("2000-02-29"), "2000-02-29");
  EXPECT_EQ(validate_date("2026-12-31"), "2026-12-31");
  for (const std::string bad :
       {"", "2026-11-3", "2026/11/23", "20261123", "26-11-23", "2026-11-23T00:00", " 2026-11-23", "2026-1a-23"}) {
    const Error error = thrown_by([&] { validate_date(bad); });
    EXPECT_EQ(error.code(), "label.bad_date") << bad;
    EXPECT_NE(error.message().find("YYYY-MM-DD"), std::string::npos) << error.message();
  }
  for (const std::string not_a_day : {"2025-02-29", "1900-02-29", "2026-02-30", "2026-04-31", "2026-13-01",
                                      "2026-00-10", "2026-11-00", "2026-11-32"}) {
    const Error error = thrown_by([&] { validate_date(not_a_day); });
    EXPECT_EQ(error.code(), "label.bad_date") << not_a_day;
    EXPECT_EQ(error.kind(), ErrorKind::BadInput) << not_a_day;
  }
  const Error old = thrown_by([] { validate_date("1970-01-01"); });
  EXPECT_NE(old.message().find("before the year 2000"), std::string::npos) << old.message();
  EXPECT_NE(old.hint().find("clock"), std::string::npos) << old.hint();
}

TEST(label_payload, EncodeValidatesEveryField) {
  EXPECT_EQ(thrown_by([] { encode_label_payload(with("", "7cdfa1000001", "2026-11-23")); }).code(), "label.bad_serial");
  EXPECT_EQ(thrown_by([] { encode_label_payload(with("ESP-1", "7cdfa10000", "2026-11-23")); }).code(), "label.bad_mac");
  EXPECT_EQ(thrown_by([] { encode_label_payload(with("ESP-1", "7cdfa1000001", "2026-02-30")); }).code(),
            "label.bad_date");
}

TEST(label_payload, FormatsADayAsIsoDate) {
  using namespace std::chrono;
  EXPECT_EQ(format_label_date(sys_days{year(2026) / November / day(23)}), "2026-11-23");
  EXPECT_EQ(format_label_date(sys_days{year(2031) / January / day(5)}), "2031-01-05");
}

TEST(label_payload, RejectsUnknownVersions) {
  for (const std::string payload : {"EF2;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001", "EF10;SN:X", "EF0"}) {
    const Error error = thrown_by([&] { parse_label_payload(payload); });
    EXPECT_EQ(error.code(), "label.unknown_payload_version") << payload;
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
  }
}

TEST(label_payload, RejectsMalformedPayloads) {
  for (const std::string payload : {
           "",
           "SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001",
           "ef1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001",
           "EF1",
           "EF1;SN:ESP-000123;D:2026-11-23",
           "EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001;",
           "EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001;X:1",
           "EF1;D:2026-11-23;SN:ESP-000123;MAC:7cdfa1000001",
           "EF1;SN:ESP-000123;DATE:2026-11-23;MAC:7cdfa1000001",
           "EF1;SN:ESP-000123;D:2026-11-23;MAC:7c:df:a1:00:00:01",
           "EF1;SN:ESP-000123;D:2026-11-23;MAC:7CDFA1000001",
           "EF1;SN:ESP-000123;D:2026-11-23;MAC:7cdfa100000",
           "EF1 ;SN:ESP-000123;D:2026-11-23;MAC:7cdfa1000001",
       }) {
    const Error error = thrown_by([&] { parse_label_payload(payload); });
    EXPECT_EQ(error.code(), "label.bad_payload") << payload;
    EXPECT_NE(error.hint().find("EF1;SN:"), std::string::npos);
  }
}

TEST(label_payload, ParseValidatesTheFieldsWithContext) {
  const Error serial = thrown_by([] { parse_label_payload("EF1;SN:;D:2026-11-23;MAC:7cdfa1000001"); });
  EXPECT_EQ(serial.code(), "label.bad_serial");
  const Error date = thrown_by([] { parse_label_payload("EF1;SN:ESP-1;D:2026-02-30;MAC:7cdfa1000001"); });
  EXPECT_EQ(date.code(), "label.bad_date");
  ASSERT_EQ(date.context().size(), 1u);
  EXPECT_NE(date.context()[0].find("reading label payload"), std::string::npos);
  EXPECT_THROW(parse_label_payload("EF1;SN:ESP 1;D:2026-11-23;MAC:7cdfa1000001"), BadInputError);
}

}  // namespace
}  // namespace espfab::label
