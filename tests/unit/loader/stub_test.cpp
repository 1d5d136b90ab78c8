#include "loader/stub.hpp"

#include <gtest/gtest.h>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::loader {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

TEST(Base64, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(decode_base64("TWFu"), to_bytes("Man"));
  EXPECT_EQ(decode_base64("TWE="), to_bytes("Ma"));
  EXPECT_EQ(decode_base64("TQ=="), to_bytes("M"));
  EXPECT_EQ(decode_base64("AAEC\n/w=="), (Bytes{0x00, 0x01, 0x02, 0xFF}));
  EXPECT_THROW(decode_base64("T!=="), BadInputError);
  EXPECT_THROW(decode_base64("TWFuT"), BadInputError);
}

TEST(StubJson, ParsesEsptoolFormat) {
  const auto stub = parse_stub_json(R"({"entry": 1077381760, "text": "AAECAw==", "text_start": 1077379072,
                                        "data": "BAU=", "data_start": 1070279676, "bss_start": 1070202880})");
  EXPECT_EQ(stub.entry, 0x40378A80u);
  EXPECT_EQ(stub.text, (Bytes{0, 1, 2, 3}));
  EXPECT_EQ(stub.text_start, 0x40378000u);
  EXPECT_EQ(stub.data, (Bytes{4, 5}));
  EXPECT_EQ(stub.data_start, 0x3FCB2BFCu);
}

TEST(StubJson, NamesWhatIsMissing) {
  try {
    parse_stub_json(R"({"text": "AAECAw==", "text_start": 1})", "s3.json");
    FAIL();
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "loader.bad_stub");
    EXPECT_NE(e.message().find("s3.json"), std::string::npos);
    EXPECT_NE(e.message().find("'entry'"), std::string::npos);
  }
  EXPECT_THROW(parse_stub_json("not json"), BadInputError);
  EXPECT_THROW(parse_stub_json(R"({"entry": -1, "text": "AA==", "text_start": 1})"), BadInputError);
}

StubImage sample_stub() {
  StubImage stub;
  stub.text = Bytes(0x1800 + 0x698, 0xA5);  // two MEM_DATA blocks, like esptool-js 0.7.0's stub
  stub.text_start = 0x40378000;
  stub.data = Bytes(264, 0x5A);
  stub.data_start = 0x3FCB2DC0;
  stub.entry = 0x40379524;
  return stub;
}

TEST(RunStub, UploadsSegmentsThenWaitsForOhai) {
  FakeTransport link;
  ScriptedDevice device(link);
  LoaderClient client(link);
  run_stub(client, sample_stub());
  EXPECT_EQ(client.mode(), LoaderMode::Stub);
  EXPECT_EQ(device.opcodes(), (std::vector<std::uint8_t>{0x05, 0x07, 0x07, 0x05, 0x07, 0x06}));
  EXPECT_EQ(device.requests[0].data, from_hex("981e0000 02000000 00180000 00803740"));
  EXPECT_EQ(load_le32(device.requests[2].data, 0), 0x698u);
  EXPECT_EQ(load_le32(device.requests[2].data, 4), 1u);  // seq
  EXPECT_EQ(device.requests[5].data, from_hex("00000000 24953740"));
}

TEST(RunStub, MissingGreetingIsProtocolError) {
  FakeTransport link;
  ScriptedDevice device(link);
  device.greet_after_mem_end = false;
  LoaderClient client(link);
  try {
    run_stub(client, sample_stub());
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), "loader.stub_no_ohai");
  }
  EXPECT_EQ(client.mode(), LoaderMode::Rom);
}

}  // namespace
}  // namespace espfab::loader
