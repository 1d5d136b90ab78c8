// The binary reader and writer on hand-made input: layout, MD5 entry, the 0xC00 limit, and every
// way untrusted bytes can be wrong.
#include "image/partition_binary.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

PartitionTable one_entry() {
  PartitionTable table;
  table.entries.push_back({.name = "nvs", .type = 1, .subtype = 2, .offset = 0x9000, .size = 0x6000});
  return table;
}

BadInputError read_error(const Bytes& bytes, bool check_md5 = true) {
  try {
    read_partition_binary(bytes, check_md5);
  } catch (const BadInputError& error) {
    return error;
  }
  ADD_FAILURE() << "accepted";
  return BadInputError("none", "none");
}

TEST(PartitionBinary, EntryLayout) {
  PartitionTable table;
  table.entries.push_back({.name = "abcdefghijklmnop",
                           .type = 0x3F,
                           .subtype = 0x06,
                           .offset = 0x12345678,
                           .size = 0x9ABCDEF0,
                           .encrypted = true,
                           .readonly = true});
  const Bytes bin = write_partition_binary(table, false);
  ASSERT_EQ(bin.size(), 0xC00u);
  EXPECT_EQ(to_hex(ByteView(bin).first(32)),
            "aa503f06"
            "78563412"
            "f0debc9a"
            "6162636465666768696a6b6c6d6e6f70"  // 16 characters, no terminator
            "03000000");
  EXPECT_EQ(bin[32], 0xFF);
  EXPECT_EQ(read_partition_binary(bin, false), table);
}

TEST(PartitionBinary, Md5EntryCoversThePrecedingEntries) {
  const Bytes bin = write_partition_binary(one_entry());
  const auto digest = crypto::md5(ByteView(bin).first(32));
  EXPECT_EQ(to_hex(ByteView(bin).subspan(32, 16)), "ebebffffffffffffffffffffffffffff");
  EXPECT_EQ(to_hex(ByteView(bin).subspan(48, 16)), to_hex(digest));
  EXPECT_EQ(bin[64], 0xFF);
  EXPECT_EQ(read_partition_binary(bin), one_entry());
}

TEST(PartitionBinary, EmptyTable) {
  const Bytes with_md5 = write_partition_binary({});
  EXPECT_EQ(to_hex(ByteView(with_md5).subspan(16, 16)), to_hex(crypto::md5({})));
  EXPECT_TRUE(read_partition_binary(with_md5).entries.empty());
  EXPECT_EQ(write_partition_binary({}, false), Bytes(0xC00, 0xFF));
}

TEST(PartitionBinary, MaxLengthRule) {
  PartitionTable table;
  for (int i = 0; i < 95; ++i) {
    table.entries.push_back({.name = fmt::format("p{}", i),
                             .type = 1,
                             .subtype = 0x82,
                             .offset = static_cast<std::uint32_t>(0x10000 + i * 0x1000),
                             .size = 0x1000});
  }
  // 95 entries fit only without the MD5 entry, and read back (the end marker is the last row).
  const Bytes without_md5 = write_partition_binary(table, false);
  EXPECT_EQ(read_partition_binary(without_md5, false), table);
  try {
    write_partition_binary(table, true);
    FAIL();
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "partition_table.too_many_entries");
    EXPECT_NE(error.hint().find("at most 94"), std::string::npos) << error.hint();
  }
  table.entries.pop_back();
  EXPECT_EQ(read_partition_binary(write_partition_binary(table, true)), table);
  table.entries.push_back(table.entries.back());
  table.entries.push_back(table.entries.back());  // 96
  EXPECT_THROW(write_partition_binary(table, false), BadInputError);
}

TEST(PartitionBinary, WriterRefusesNamesItCannotHold) {
  PartitionTable table = one_entry();
  table.entries[0].name = "abcdefghijklmnopq";
  try {
    write_partition_binary(table);
    FAIL();
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "partition_table.name_too_long");
    EXPECT_NE(error.message().find("entry 1"), std::string::npos);
  }
  table.entries[0].name = std::string("a\0b", 3);
  EXPECT_THROW(write_partition_binary(table), BadInputError);
}

TEST(PartitionBinary, UnknownFlagBitsAreIgnored) {
  Bytes bin = write_partition_binary(one_entry(), false);
  bin[28] = 0xFC;
  bin[31] = 0x80;
  const auto table = read_partition_binary(bin, false);
  EXPECT_FALSE(table.entries[0].encrypted);
  EXPECT_FALSE(table.entries[0].readonly);
}

TEST(PartitionBinary, BadMd5) {
  Bytes bin = write_partition_binary(one_entry());
  bin[60] ^= 0x01;
  const auto error = read_error(bin);
  EXPECT_EQ(error.code(), "partition_table.bad_md5");
  EXPECT_NE(error.message().find("entry 2 (MD5)"), std::string::npos) << error.message();
  // With the MD5 check off the MD5 entry is not an entry.
  EXPECT_EQ(read_error(write_partition_binary(one_entry()), false).code(), "partition_table.bad_entry_magic");
}

TEST(PartitionBinary, TruncatedInput) {
  const Bytes bin = write_partition_binary(one_entry());
  const auto error = read_error(Bytes(bin.begin(), bin.begin() + 40));
  EXPECT_EQ(error.code(), "partition_table.truncated");
  EXPECT_NE(error.message().find("entry 2"), std::string::npos) << error.message();
  EXPECT_EQ(read_error(Bytes(bin.begin(), bin.begin() + 20)).code(), "partition_table.truncated");
  // Whole entries but no end marker.
  EXPECT_EQ(read_error(Bytes(bin.begin(), bin.begin() + 64)).code(), "partition_table.no_end_marker");
  EXPECT_EQ(read_error({}).code(), "partition_table.no_end_marker");
}

TEST(PartitionBinary, GarbageInput) {
  Bytes garbage(0xC00);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const auto error = read_error(garbage);
  EXPECT_EQ(error.code(), "partition_table.bad_entry_magic");
  EXPECT_NE(error.message().find("entry 1 at offset 0x0"), std::string::npos) << error.message();
  // A second entry with a broken magic.
  Bytes bin = write_partition_binary(one_entry(), false);
  bin[32] = 0xAA;
  bin[33] = 0x51;
  EXPECT_NE(read_error(bin, false).message().find("entry 2"), std::string::npos);
}

TEST(PartitionBinary, NoEndMarkerWithinTheTableArea) {
  // 0x1000 bytes of entries: the end marker must come within the first 0xC00.
  Bytes bin;
  const Bytes entry = write_partition_binary(one_entry(), false);
  while (bin.size() < 0x1000) bin.insert(bin.end(), entry.begin(), entry.begin() + 32);
  EXPECT_EQ(read_error(bin, false).code(), "partition_table.no_end_marker");
}

TEST(PartitionBinary, BytesAfterTheEndMarkerAreIgnored) {
  Bytes bin = write_partition_binary(one_entry());
  bin.resize(0x1000, 0x00);  // the signature area of the sector
  EXPECT_EQ(read_partition_binary(bin), one_entry());
}

TEST(PartitionBinary, DetectsBinaryByFirstBytes) {
  EXPECT_TRUE(looks_like_partition_binary(write_partition_binary(one_entry())));
  EXPECT_TRUE(looks_like_partition_binary(write_partition_binary({})));         // EB EB
  EXPECT_TRUE(looks_like_partition_binary(write_partition_binary({}, false)));  // FF
  EXPECT_FALSE(looks_like_partition_binary(to_bytes("nvs, data, nvs")));
  EXPECT_FALSE(looks_like_partition_binary(to_bytes("# comment")));
  EXPECT_FALSE(looks_like_partition_binary({}));
}

}  // namespace
}  // namespace espfab::image
