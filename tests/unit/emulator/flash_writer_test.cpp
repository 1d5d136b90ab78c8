// The stub's erase-ahead (esptool's flasher stub: a 64 KiB block erase when the next sector to
// erase starts a block and at least a block of the region is left, sector erases otherwise) and
// the ROM's up-front erase, seen through the flash chip's activity counters.
#include "emulator/flash_writer.hpp"

#include <gtest/gtest.h>

#include "emulator/virtual_flash.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

FlashWriter::Begin stub_write(std::uint32_t offset, std::uint32_t size) {
  FlashWriter::Begin begin;
  begin.flavour = FlashWriter::Flavour::Stub;
  begin.size = size;
  begin.offset = offset;
  return begin;
}

// Writes `size` bytes of 0x00 in 16 KiB blocks, as esptool's stub-mode FLASH_DATA does.
void write_all(FlashWriter& writer, std::uint32_t size) {
  const Bytes block(0x4000, 0x00);
  for (std::uint32_t seq = 0, done = 0; done < size; ++seq, done += 0x4000) {
    ASSERT_EQ(writer.write(seq, block), FlashWriter::Status::Ok);
  }
  ASSERT_EQ(writer.end(), FlashWriter::Status::Ok);
}

TEST(FlashWriter, StubErasesWholeBlocksInsideAnAlignedRegion) {
  VirtualFlash flash(0x400000);
  FlashWriter writer(flash);
  ASSERT_EQ(writer.begin(stub_write(0x10000, 0x100000)), FlashWriter::Status::Ok);
  write_all(writer, 0x100000);
  EXPECT_EQ(flash.activity().blocks_erased, 16u);
  EXPECT_EQ(flash.activity().sectors_erased, 0u);
  EXPECT_EQ(flash.view(0x10000, 1)[0], 0x00);
  EXPECT_EQ(flash.view(0x10FFFF, 1)[0], 0x00);
}

TEST(FlashWriter, StubUsesSectorsUpToTheFirstBlockBoundaryAndForSmallRegions) {
  VirtualFlash flash(0x400000);
  FlashWriter writer(flash);
  ASSERT_EQ(writer.begin(stub_write(0x8000, 0x3000)), FlashWriter::Status::Ok);  // a partition table
  write_all(writer, 0x3000);
  EXPECT_EQ(flash.activity().blocks_erased, 0u);
  EXPECT_EQ(flash.activity().sectors_erased, 3u);

  VirtualFlash second(0x400000);
  FlashWriter unaligned(second);
  ASSERT_EQ(unaligned.begin(stub_write(0xC000, 0x28000)), FlashWriter::Status::Ok);
  write_all(unaligned, 0x28000);
  // 0xC000..0x10000: 4 sectors up to the boundary; at 0x10000 and 0x20000 at least a block is
  // left (0x24000, 0x14000): two blocks; 0x30000..0x34000: 4 sectors.
  EXPECT_EQ(second.activity().blocks_erased, 2u);
  EXPECT_EQ(second.activity().sectors_erased, 8u);
}

TEST(FlashWriter, StubNeverErasesBeyondTheRegion) {
  VirtualFlash flash(0x400000);
  const Bytes marker(0x10, 0x5A);
  flash.program(0x30000, marker);  // first bytes after the region
  FlashWriter writer(flash);
  ASSERT_EQ(writer.begin(stub_write(0x10000, 0x20000)), FlashWriter::Status::Ok);
  write_all(writer, 0x20000);
  EXPECT_EQ(flash.view(0x30000, 1)[0], 0x5A);
  EXPECT_EQ(flash.activity().blocks_erased, 2u);
  EXPECT_EQ(flash.activity().sectors_erased, 0u);
}

TEST(FlashWriter, RomErasesTheRegionUpFrontBySector) {
  VirtualFlash flash(0x400000);
  FlashWriter writer(flash);
  FlashWriter::Begin begin;
  begin.size = 0x20000;
  begin.block_size = 0x400;
  begin.offset = 0x10000;
  ASSERT_EQ(writer.begin(begin), FlashWriter::Status::Ok);
  EXPECT_EQ(flash.activity().sectors_erased, 32u);
  EXPECT_EQ(flash.activity().blocks_erased, 0u);
}

TEST(VirtualFlash, BlockEraseNeedsABlockBoundary) {
  VirtualFlash flash(0x100000);
  EXPECT_THROW(flash.erase_block(0x1000), Error);
  EXPECT_THROW(flash.erase_block(0x100000), Error);  // beyond the chip
  flash.program(0x10000, Bytes(4, 0));
  flash.erase_block(0x10000);
  EXPECT_EQ(flash.view(0x10000, 1)[0], 0xFF);
  EXPECT_EQ(flash.activity().blocks_erased, 1u);
}

}  // namespace
}  // namespace espfab::emulator
