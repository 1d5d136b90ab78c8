#include "loader/response.hpp"

#include <gtest/gtest.h>

#include "loader/device_error.hpp"

namespace espfab::loader {
namespace {

TEST(Response, ParsesHeaderAndData) {
  auto response = parse_response(from_hex("01 08 04 00 07 12 20 55 00 00 00 00"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->opcode, Opcode::Sync);
  EXPECT_EQ(response->value, 0x55201207u);
  EXPECT_EQ(response->data, Bytes(4, 0));
}

TEST(Response, RejectsShortFramesAndRequests) {
  EXPECT_FALSE(parse_response(to_bytes("OHAI")));
  EXPECT_FALSE(parse_response(from_hex("00 08 00 00 00 00 00 00")));
}

TEST(Response, RomStatusIsFlagThenCode) {
  Response response{Opcode::SpiFlashMd5, 0, to_bytes("0123456789abcdef0123456789abcdef")};
  response.data.insert(response.data.end(), {0, 0, 0, 0});
  auto reply = decode_reply(response, LoaderMode::Rom);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->status.failed);
  EXPECT_EQ(reply->result.size(), 32u);

  const Response failed{Opcode::FlashData, 0, from_hex("01 07 00 00")};
  reply = decode_reply(failed, LoaderMode::Rom);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->status.failed);
  EXPECT_EQ(reply->status.error, 0x07);
}

TEST(Response, StubStatusIsCodeThenDetail) {
  const Response ok{Opcode::SpiFlashMd5, 0, Bytes(18, 0xAB)};
  Response good = ok;
  good.data[16] = 0;
  good.data[17] = 0;
  auto reply = decode_reply(good, LoaderMode::Stub);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->status.failed);
  EXPECT_EQ(reply->result.size(), 16u);

  const Response failed{Opcode::FlashDeflData, 0, from_hex("c7 00")};
  reply = decode_reply(failed, LoaderMode::Stub);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->status.failed);
  EXPECT_EQ(reply->status.error, 0xC7);
}

TEST(Response, TwoByteStatusToRomHostIsShortStatus) {
  const Response stub_reply{Opcode::SpiAttach, 0, from_hex("c0 00")};
  auto reply = decode_reply(stub_reply, LoaderMode::Rom);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), "loader.short_status");
  EXPECT_NE(reply.error().hint().find("stub"), std::string::npos);
}

TEST(Response, UnsupportedCommandPattern) {
  const Response other{Opcode::Sync, 0, from_hex("01 05 00 00")};
  EXPECT_TRUE(is_unsupported_reply(other, Opcode::EraseFlash));
  EXPECT_FALSE(is_unsupported_reply(other, Opcode::Sync));
  const Response plain{Opcode::Sync, 0, from_hex("00 00 00 00")};
  EXPECT_FALSE(is_unsupported_reply(plain, Opcode::EraseFlash));
}

TEST(DeviceError, NamedCodesWithHints) {
  EXPECT_EQ(describe_device_error(LoaderMode::Rom, 0x07).name, "invalid_crc");
  EXPECT_EQ(describe_device_error(LoaderMode::Rom, 0x0B).name, "deflate_error");
  EXPECT_EQ(describe_device_error(LoaderMode::Stub, 0xC1).name, "bad_data_checksum");
  EXPECT_EQ(describe_device_error(LoaderMode::Stub, 0xFF).name, "cmd_not_implemented");
  EXPECT_EQ(describe_device_error(LoaderMode::Stub, 0x07).name, "unknown");  // ROM code, stub layout
  const auto error = device_status_error(Opcode::FlashData, LoaderMode::Rom, Status{true, 0x07, 0});
  EXPECT_EQ(error.code(), "loader.device_error.invalid_crc");
  EXPECT_EQ(error.message(), "FLASH_DATA failed: ROM error 0x07 (invalid CRC/checksum in message)");
  EXPECT_FALSE(error.hint().empty());
  EXPECT_TRUE(is_transient_device_error(error));
  EXPECT_FALSE(
      is_transient_device_error(device_status_error(Opcode::FlashData, LoaderMode::Rom, Status{true, 0x08, 0})));
  const auto detail = device_status_error(Opcode::SpiSetParams, LoaderMode::Stub, Status{true, 0xC4, 0x02});
  EXPECT_NE(detail.message().find("detail 0x02"), std::string::npos);
}

}  // namespace
}  // namespace espfab::loader
