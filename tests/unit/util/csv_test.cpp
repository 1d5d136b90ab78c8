#include "util/csv.hpp"

#include <gtest/gtest.h>

namespace espfab {
namespace {

TEST(Csv, PlainFieldsAreJoinedWithCrlf) { EXPECT_EQ(csv_record({"a", "b", "c"}), "a,b,c\r\n"); }

TEST(Csv, EmptyFieldsKeepTheirPlace) {
  // The first field empty (a device without a serial) must still be followed by its comma.
  EXPECT_EQ(csv_record({"", "7c:df:a1:00:00:01", "", "rejected"}), ",7c:df:a1:00:00:01,,rejected\r\n");
  EXPECT_EQ(csv_record({"", ""}), ",\r\n");
}

TEST(Csv, QuotesCommasQuotesAndLineBreaks) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field("plain text"), "plain text");
}

}  // namespace
}  // namespace espfab
