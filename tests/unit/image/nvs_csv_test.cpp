// The nvs_partition_gen CSV reader: columns by header name, comments, quoting, every encoding, and
// errors that name the line.
#include "image/nvs_csv.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::image {
namespace {

Bytes no_files(const std::string& path) { throw IoError("io.open", "no file " + path); }

// "code: message" of the error parsing `csv` throws.
std::string error_of(std::string_view csv) {
  try {
    parse_nvs_csv(csv, no_files);
  } catch (const Error& e) {
    return e.code() + ": " + e.describe();
  }
  return "no error";
}

std::string text_of(const NvsItem& item) { return std::string(item.data.view().begin(), item.data.view().end()); }

TEST(NvsCsv, ParsesEveryEncoding) {
  const auto good = parse_nvs_csv(
      "# comment first\r\n"
      "key,type,encoding,value\r\n"
      "ns,namespace,,\r\n"
      "\r\n"
      "# another comment\n"
      "a,data,i8,-5\r\n"
      "b,data,string,\"x,\"\"y\"\"\"\n"
      "c,data,hex2bin, 00fF \t\n"
      "d,data,base64,YW Jj\n"
      "e,data,binary,raw text\n"
      "f,file,binary,blob.bin\n"
      "g,file,u16,num.txt\n"
      "h,data,u64,18446744073709551615\n"
      "i,data,i64,-9223372036854775808\n",
      [](const std::string& path) {
        return path == "blob.bin" ? Bytes{1, 2, 3} : to_bytes(" 513\n");
      });
  ASSERT_EQ(good.size(), 10u);
  EXPECT_EQ(good[0].kind, NvsItem::Kind::Namespace);
  EXPECT_EQ(good[0].key, "ns");
  EXPECT_EQ(good[0].line, 3u);  // comment lines count
  EXPECT_EQ(good[1].type, NvsType::I8);
  EXPECT_EQ(good[1].integer_bits, 0xFBu);
  EXPECT_EQ(text_of(good[2]), "x,\"y\"");
  EXPECT_EQ(good[2].kind, NvsItem::Kind::String);
  EXPECT_EQ(good[3].data, SecretBytes(Bytes{0x00, 0xFF}));
  EXPECT_EQ(text_of(good[4]), "abc");
  EXPECT_EQ(text_of(good[5]), "raw text");
  EXPECT_EQ(good[6].data, SecretBytes(Bytes{1, 2, 3}));
  EXPECT_EQ(good[7].integer_bits, 513u);
  EXPECT_EQ(good[8].integer_bits, ~std::uint64_t{0});
  EXPECT_EQ(good[9].integer_bits, 0x8000000000000000ull);
}

TEST(NvsCsv, ColumnsAreFoundByName) {
  const auto items = parse_nvs_csv("value,encoding,type,key\n,,namespace,ns\n7,u8,data,k\n", no_files);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].key, "k");
  EXPECT_EQ(items[1].integer_bits, 7u);
  EXPECT_EQ(items[1].line, 3u);
}

TEST(NvsCsv, Base64IsLenientLikePython) {
  EXPECT_EQ(decode_base64_lenient("ZXNw ZmFi\n"), to_bytes("espfab"));
  EXPECT_EQ(decode_base64_lenient("YQ==ignored"), to_bytes("a"));
  EXPECT_EQ(decode_base64_lenient(""), Bytes{});
  EXPECT_THROW(decode_base64_lenient("YQ"), BadInputError);
  EXPECT_THROW(decode_base64_lenient("Y"), BadInputError);
}

TEST(NvsCsv, ErrorsNameTheLine) {
  const std::string header = "key,type,encoding,value\nns,namespace,,\n";
  EXPECT_EQ(error_of(header + "a,data,u8,256\n").rfind("nvs.value_out_of_range: line 3:", 0), 0u)
      << error_of(header + "a,data,u8,256\n");
  EXPECT_EQ(error_of(header + "a,data,u8,-1\n").rfind("nvs.value_out_of_range", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,i8,128\n").rfind("nvs.value_out_of_range", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,u64,18446744073709551616\n").rfind("nvs.value_out_of_range", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,u8,0x10\n").rfind("nvs.bad_integer", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,hex2bin,abc\n").rfind("nvs.bad_hex", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,hex2bin,zz\n").rfind("nvs.bad_hex", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,float,1\n").rfind("nvs.bad_encoding", 0), 0u);
  EXPECT_EQ(error_of(header + "a,blob,u8,1\n").rfind("nvs.bad_type", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,U8,1\n").rfind("nvs.bad_encoding", 0), 0u);
  EXPECT_EQ(error_of(header + "a_very_long_key_name,data,u8,1\n").rfind("nvs.bad_key: line 3", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,string,Z\xC3\xBCrich\n").rfind("nvs.non_ascii_string", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,u8\n").rfind("nvs.missing_value", 0), 0u);
  EXPECT_EQ(error_of(header + "a,data,string,\"open\n").rfind("nvs.csv_unterminated_quote", 0), 0u);
  EXPECT_NE(error_of(header + "a,file,binary,missing.bin\n").find("reading the file of key 'a' on line 3"),
            std::string::npos);
  EXPECT_EQ(error_of("key,type,value\n").rfind("nvs.csv_header", 0), 0u);
  EXPECT_EQ(error_of("# only a comment\n").rfind("nvs.csv_empty", 0), 0u);
}

}  // namespace
}  // namespace espfab::image
