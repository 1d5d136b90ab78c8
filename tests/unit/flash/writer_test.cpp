#include "flash/writer.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/loader/scripted_device.hpp"
#include "support/transport/fake_transport.hpp"
#include "util/error.hpp"

namespace espfab::flash {
namespace {

using test::FakeTransport;
using test::ScriptedDevice;

Bytes sample(std::size_t size, std::uint8_t seed) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>((i * 31 + seed) ^ (i >> 7));
  return data;
}

struct WriterTest : ::testing::Test {
  FakeTransport link;
  ScriptedDevice device{link};
  std::optional<loader::Session> session;

  void open(bool stub) {
    device.stub = stub;
    loader::SessionOptions options;
    options.connect.before = loader::BeforeReset::NoReset;
    options.connect.sleep = [](std::chrono::milliseconds) {};
    session.emplace(link, options);
    session->prepare_flash();  // the flash id reads and SPI_SET_PARAMS, once per session
    device.requests.clear();
  }

  FlashPlan plan(std::vector<FlashRegion> regions, bool compress = true) {
    PlanOptions options;
    options.compress = compress;
    return plan_writes(regions, options);
  }
};

FlashRegion file(std::uint32_t address, Bytes data, std::string name, bool encrypt = false) {
  return FlashRegion{address, std::make_shared<Bytes>(std::move(data)), std::move(name), encrypt};
}

TEST_F(WriterTest, RomCompressedWriteLandsAndIsVerified) {
  open(false);
  const Bytes app = sample(5000, 1);
  const auto results = write_flash(*session, plan({file(0x10000, app, "app.bin")}), {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].verified);
  EXPECT_FALSE(results[0].skipped);
  EXPECT_TRUE(std::equal(app.begin(), app.end(), device.flash.begin() + 0x10000));
  const auto& begin = device.requests.front();
  EXPECT_EQ(begin.opcode, 0x10);
  EXPECT_EQ(begin.data.size(), 20u);             // 5th word for the ROM
  EXPECT_EQ(load_le32(begin.data, 0), 0x1400u);  // size rounded up to 0x400
  EXPECT_EQ(load_le32(begin.data, 8), 0x400u);   // ROM block size
  EXPECT_EQ(load_le32(begin.data, 16), 0u);
  EXPECT_EQ(device.requests.back().opcode, 0x13);  // MD5 last: nothing ends the ROM's loader
}

TEST_F(WriterTest, StubCompressedWriteFollowsEsptoolSequence) {
  open(true);
  const Bytes app = sample(70'000, 2);
  write_flash(*session, plan({file(0x10000, app, "app.bin")}), {});
  EXPECT_TRUE(std::equal(app.begin(), app.end(), device.flash.begin() + 0x10000));
  const auto ops = device.opcodes();
  EXPECT_EQ(ops.front(), 0x10);
  EXPECT_EQ(device.requests.front().data.size(), 16u);
  EXPECT_EQ(load_le32(device.requests.front().data, 0), 70'000u);  // exact size to the stub
  EXPECT_EQ(load_le32(device.requests.front().data, 8), 0x4000u);
  const std::vector<std::uint8_t> tail(ops.end() - 4, ops.end());
  EXPECT_EQ(tail, (std::vector<std::uint8_t>{0x0A, 0x13, 0x02, 0x12}));  // dummy RR, MD5, FLASH_BEGIN(0), DEFL_END
  EXPECT_EQ(load_le32(device.requests.back().data, 0), 1u);              // stay in the stub
}

TEST_F(WriterTest, RawRomWritePadsBlocks) {
  open(false);
  const Bytes data = sample(0x500, 3);
  write_flash(*session, plan({file(0x8000, data, "partitions.bin")}, false), {});
  EXPECT_EQ(device.count(0x03), 2u);
  EXPECT_EQ(device.requests[1].data.size(), 16u + 0x400);
  EXPECT_EQ(device.requests[2].data.back(), 0xFF);  // last block padded
  EXPECT_TRUE(std::equal(data.begin(), data.end(), device.flash.begin() + 0x8000));
}

TEST_F(WriterTest, TellsTheLoaderTheFlashSizeBeforeTheFirstWrite) {
  device.stub = false;
  loader::SessionOptions options;
  options.connect.before = loader::BeforeReset::NoReset;
  options.connect.sleep = [](std::chrono::milliseconds) {};
  session.emplace(link, options);
  device.requests.clear();
  write_flash(*session, plan({file(0x8000, sample(0x100, 5), "partitions.bin")}, false), {});
  write_flash(*session, plan({file(0x9000, sample(0x100, 6), "nvs.bin")}, false), {});
  std::vector<std::uint8_t> ops;
  for (const auto& request : device.requests) ops.push_back(request.opcode);
  const auto set_params = std::find(ops.begin(), ops.end(), 0x0B);
  ASSERT_NE(set_params, ops.end());
  EXPECT_LT(set_params, std::find(ops.begin(), ops.end(), 0x02)) << "SPI_SET_PARAMS before FLASH_BEGIN";
  EXPECT_EQ(std::count(ops.begin(), ops.end(), 0x0B), 1) << "once per session";
}

TEST_F(WriterTest, EncryptedWritesUseTheRomFlagOrStubCommand) {
  open(false);
  write_flash(*session, plan({file(0x20000, sample(64, 4), "key.bin", true)}), {});
  EXPECT_EQ(device.requests[0].opcode, 0x02);
  EXPECT_EQ(load_le32(device.requests[0].data, 16), 1u);  // encrypted flag
  EXPECT_EQ(device.count(0x13), 0u);                      // no MD5 of ciphertext

  FakeTransport link2;
  ScriptedDevice stub_device(link2);
  stub_device.stub = true;
  loader::SessionOptions options;
  options.connect.before = loader::BeforeReset::NoReset;
  loader::Session stub_session(link2, options);
  write_flash(stub_session, plan({file(0x20000, sample(64, 4), "key.bin", true)}), {});
  EXPECT_EQ(stub_device.count(0xD4), 1u);
}

TEST_F(WriterTest, SkipUnchangedSendsNoData) {
  open(true);
  const Bytes app = sample(10'000, 5);
  const auto the_plan = plan({file(0x10000, app, "app.bin")});
  write_flash(*session, the_plan, {});
  device.requests.clear();
  WriteOptions options;
  options.skip_unchanged = true;
  const auto results = write_flash(*session, the_plan, options);
  EXPECT_TRUE(results[0].skipped);
  EXPECT_EQ(device.opcodes(), (std::vector<std::uint8_t>{0x13}));
}

TEST_F(WriterTest, CacheIsSharedAcrossFixtures) {
  CompressionCache cache;
  WriteOptions options;
  options.cache = &cache;
  open(true);
  const auto the_plan = plan({file(0x10000, sample(20'000, 6), "app.bin")});
  write_flash(*session, the_plan, options);
  FakeTransport link2;
  ScriptedDevice device2(link2);
  device2.stub = true;
  loader::SessionOptions session_options;
  session_options.connect.before = loader::BeforeReset::NoReset;
  loader::Session session2(link2, session_options);
  write_flash(session2, the_plan, options);
  EXPECT_EQ(cache.compressions(), 1u);
  EXPECT_EQ(device.flash, device2.flash);
}

TEST_F(WriterTest, ChecksumErrorOnABlockIsRetried) {
  open(true);
  device.fail_opcode = 0x11;
  device.fail_code = 0xC1;  // bad data checksum
  const Bytes app = sample(3000, 7);
  write_flash(*session, plan({file(0x10000, app, "app.bin")}), {});
  EXPECT_EQ(device.count(0x11), 2u);
  EXPECT_TRUE(std::equal(app.begin(), app.end(), device.flash.begin() + 0x10000));
}

TEST_F(WriterTest, LinkDropNamesRegionAndOffset) {
  open(true);
  device.drop_link_at_seq = 1;
  try {
    write_flash(*session, plan({file(0x10000, sample(100'000, 8), "app.bin")}, false), {});
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(e.describe().find("writing app.bin @0x10000 block 1 (image offset 0x4000, flash 0x14000)"),
              std::string::npos)
        << e.describe();
  }
}

TEST_F(WriterTest, Md5MismatchIsNeverSilent) {
  open(true);
  WriteOptions options;
  options.progress = [&](const ProgressEvent& event) {
    if (event.finished()) device.flash[0x10000] ^= 0x01;  // a bit flips in flash
  };
  try {
    write_flash(*session, plan({file(0x10000, sample(4096, 9), "app.bin")}), options);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), "flash.verify_failed");
    EXPECT_NE(e.message().find("app.bin @0x10000"), std::string::npos);
    EXPECT_NE(e.message().find("(written 2 times)"), std::string::npos) << e.message();
  }
}

TEST_F(WriterTest, ARegionTheLinkDamagedUnseenIsWrittenAgainAndVerified) {
  open(true);
  WriteOptions options;
  unsigned damaged = 0;
  options.progress = [&](const ProgressEvent& event) {
    // Once: a block arrived damaged in a way its XOR checksum could not see.
    if (event.finished() && damaged++ == 0) device.flash[0x10000] ^= 0x01;
  };
  const Bytes app = sample(4096, 9);
  const auto results = write_flash(*session, plan({file(0x10000, app, "app.bin")}), options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 2u);
  EXPECT_TRUE(results[0].verified);
  EXPECT_EQ(device.count(0x13), 2u) << "two FLASH_MD5 reads, one per write";
  EXPECT_TRUE(std::equal(app.begin(), app.end(), device.flash.begin() + 0x10000));
}

TEST_F(WriterTest, ProgressReportsBytesPerRegion) {
  open(true);
  std::vector<ProgressEvent> events;
  WriteOptions options;
  options.progress = [&](const ProgressEvent& event) { events.push_back(event); };
  write_flash(*session, plan({file(0x0, sample(40'000, 10), "a.bin"), file(0x10000, sample(50'000, 11), "b.bin")}),
              options);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().item, "b.bin @0x10000");
  EXPECT_EQ(events.back().done, 50'000u);
  EXPECT_EQ(events.back().total, 50'000u);
  EXPECT_EQ(events.front().operation, "write-flash");
}

}  // namespace
}  // namespace espfab::flash
