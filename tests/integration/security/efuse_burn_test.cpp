// The burn executor (src/security/efuse_burner) runs planner output against espfab-emu's eFuse
// controller register by register: the full lock-down lands in the states of the §5 table of docs/boot-behaviour.md
// table, a second run burns nothing, an interruption at any register access followed by a re-run
// ends in the same eFuses with no block programmed twice, and stale plans, taken key blocks and an
// unverified boot are refused with nothing burned.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "emulator/efuse_controller.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_burner.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

// The emulator's controller behind the executor's register seam; optionally "loses power" (the
// link drops) after a number of accesses.
class EmulatedRegisters : public EfuseRegisters {
 public:
  explicit EmulatedRegisters(emulator::EfuseController& controller, long cut_after = -1)
      : controller_(controller), cut_after_(cut_after) {}
  std::uint32_t read(std::uint32_t address) override {
    tick();
    return controller_.read_register(address);
  }
  void write(std::uint32_t address, std::uint32_t value) override {
    tick();
    controller_.write_register(address, value);
  }
  void pause(unsigned) override {}
  long accesses() const { return accesses_; }

 private:
  void tick() {
    if (cut_after_ >= 0 && accesses_ >= cut_after_) {
      throw IoError("test.link_lost", "the fixture lost power");
    }
    ++accesses_;
  }
  emulator::EfuseController& controller_;
  long cut_after_;
  long accesses_ = 0;
};

KeyDigest digest_of(const std::string& key) {
  const Bytes bytes = test::read_vector("secure_boot_v2/" + key + "_pubkey_digest.bin");
  KeyDigest digest{};
  std::copy_n(bytes.begin(), digest.size(), digest.begin());
  return digest;
}

struct Images {
  Bytes bootloader = test::read_vector("secure_boot_v2/signed_key1.bin");
  Bytes app = test::read_vector("secure_boot_v2/signed_unaligned_key1.bin");
  std::vector<PlanImage> list() const { return {{"bootloader", bootloader}, {"app", app}}; }
};

SecurityProfile lockdown() {
  SecurityProfile profile;
  profile.flash_encryption = XtsKeyLength::Aes128;
  profile.secure_boot_digests = {digest_of("sbv2_rsa3072_key1")};
  return profile;
}

FlashEncryptionKey test_key() {
  Bytes bytes(32);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
  return FlashEncryptionKey(SecretBytes(std::move(bytes)));
}

struct Device {
  emulator::EfuseController efuse;
  Device() { efuse.factory_program({0x7c, 0xdf, 0xa1, 0x00, 0x00, 0x42}); }
  EfuseImage snapshot() {
    EmulatedRegisters regs(efuse);
    return read_efuses(regs);
  }
};

std::uint64_t field(const EfuseImage& image, const std::string& name) { return image.field_uint(name); }

TEST(EfuseBurner, FullLockdownReachesTheSpecStatesAndTheLockWaitsForTheBoot) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const FlashEncryptionKey key = test_key();
  EmulatedRegisters regs(device.efuse);
  EfuseBurner burner(regs);
  std::vector<std::string> observed;
  const BurnReport report = burner.execute(plan, before, &key, {}, [&](const BurnStep& step, bool finished) {
    if (finished) observed.push_back(step.batch + "/" + std::to_string(step.block));
  });
  EXPECT_TRUE(report.burned_anything());
  EXPECT_EQ(observed.size(), report.steps.size());

  const EfuseImage after = device.snapshot();
  EXPECT_EQ(field(after, "KEY_PURPOSE_0"), 4u);    // XTS_AES_128_KEY
  EXPECT_TRUE(after.read_protected(0));            // BLOCK_KEY0 hidden
  EXPECT_EQ(after.block_bytes(4), Bytes(32, 0));   // ... reads as zeros
  EXPECT_EQ(device.efuse.key_block(0)[31], 0xA0);  // and holds the reversed key inside
  EXPECT_EQ(field(after, "SPI_BOOT_CRYPT_CNT"), 7u);
  EXPECT_EQ(field(after, "DIS_DOWNLOAD_ICACHE"), 1u);
  EXPECT_EQ(field(after, "DIS_DOWNLOAD_DCACHE"), 1u);
  EXPECT_EQ(field(after, "DIS_PAD_JTAG"), 1u);
  EXPECT_EQ(field(after, "SECURE_BOOT_EN"), 1u);
  EXPECT_EQ(field(after, "KEY_PURPOSE_1"), 9u);  // SECURE_BOOT_DIGEST0
  const KeyDigest digest = digest_of("sbv2_rsa3072_key1");
  EXPECT_EQ(after.block_bytes(5), Bytes(digest.begin(), digest.end()));
  EXPECT_EQ(field(after, "SOFT_DIS_JTAG"), 7u);
  EXPECT_EQ(field(after, "SECURE_BOOT_KEY_REVOKE1"), 1u);
  EXPECT_EQ(field(after, "SECURE_BOOT_KEY_REVOKE2"), 1u);
  EXPECT_EQ(field(after, "ENABLE_SECURITY_DOWNLOAD"), 0u) << "the final lock waits for a verified boot";
  EXPECT_FALSE(after.any_errors());

  // After the boot is verified: everything else is found done, only the lock is burned.
  const unsigned cycles = device.efuse.program_cycles();
  const BurnReport lock = burner.execute(plan, before, &key, BurnOptions{.boot_verified = true});
  unsigned burned = 0;
  for (const auto& step : lock.steps) burned += step.outcome != BurnStep::Outcome::AlreadyDone;
  EXPECT_EQ(burned, 1u);
  EXPECT_EQ(device.efuse.program_cycles(), cycles + 1);
  EXPECT_EQ(field(device.snapshot(), "ENABLE_SECURITY_DOWNLOAD"), 1u);
}

// The registers as the loader sees them: each write_all is one WRITE_REG command.
class CommandCountingRegisters : public EmulatedRegisters {
 public:
  using EmulatedRegisters::EmulatedRegisters;
  std::uint32_t read(std::uint32_t address) override {
    ++reads;
    return EmulatedRegisters::read(address);
  }
  void write(std::uint32_t address, std::uint32_t value) override {
    ++single_writes;
    EmulatedRegisters::write(address, value);
  }
  void write_all(std::span<const EfuseRegisterWrite> writes, unsigned pause_after_ms) override {
    batches.push_back({writes.begin(), writes.end()});
    pauses.push_back(pause_after_ms);
    for (const auto& w : writes) EmulatedRegisters::write(w.address, w.value);
  }
  unsigned reads = 0;
  unsigned single_writes = 0;
  std::vector<std::vector<EfuseRegisterWrite>> batches;
  std::vector<unsigned> pauses;
};

TEST(EfuseBurner, EachProgramCycleIsTwoWriteCommandsAndNoBlockIsReadBeforeItsCycle) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const FlashEncryptionKey key = test_key();
  CommandCountingRegisters regs(device.efuse);
  EfuseBurner burner(regs);
  const unsigned cycles_before = device.efuse.program_cycles();
  const BurnReport report = burner.execute(plan, before, &key);
  const unsigned cycles = device.efuse.program_cycles() - cycles_before;
  ASSERT_GT(cycles, 3u);
  EXPECT_EQ(regs.single_writes, 0u) << "every write goes out in a batch";
  // The timing registers once, then per cycle: data + check words + CONF + PGM_CMD, and the
  // clearing of the program registers + CONF + READ_CMD with the reload's 1 ms.
  ASSERT_EQ(regs.batches.size(), 1 + 2 * cycles);
  namespace efuse = chip::esp32s3_efuse;
  const std::uint32_t cmd = efuse::kBase + efuse::EFUSE_CMD_REG;
  for (unsigned c = 0; c < cycles; ++c) {
    const auto& program = regs.batches[1 + 2 * c];
    const auto& reload = regs.batches[2 + 2 * c];
    ASSERT_EQ(program.size(), 13u);
    EXPECT_EQ(program.back().address, cmd);
    EXPECT_EQ(program.back().value & efuse::kPgmCmd, efuse::kPgmCmd);
    EXPECT_EQ(regs.pauses[1 + 2 * c], 0u);
    ASSERT_EQ(reload.size(), 13u);
    for (unsigned w = 0; w < 11; ++w) EXPECT_EQ(reload[w].value, 0u) << "program register " << w << " left set";
    EXPECT_EQ(reload.back().address, cmd);
    EXPECT_EQ(reload.back().value, efuse::kReadCmd);
    EXPECT_EQ(regs.pauses[2 + 2 * c], 1u);
  }
  // Reads: the full snapshot, and per cycle two idle polls before and after the reload and after the
  // program, the error registers and the read-back; no block read before its cycle.
  unsigned block0_cycles = 0;
  for (const auto& step : report.steps) block0_cycles += step.outcome == BurnStep::Outcome::Burned && step.block == 0;
  const unsigned key_cycles = cycles - block0_cycles;
  unsigned snapshot_reads = 5 + 2;  // error registers
  for (const auto& info : efuse::kBlocks) snapshot_reads += info.words;
  EXPECT_EQ(regs.reads, snapshot_reads + 3 /* timing */ + 2 /* first idle wait */ + block0_cycles * (4 + 5 + 6) +
                            key_cycles * (4 + 1 + 8));
  EXPECT_EQ(field(device.snapshot(), "SECURE_BOOT_EN"), 1u);
}

// What the executor says the eFuses read as after a burn is what a fresh read gives; handed to the
// next burn (nothing else ran on the chip), that burn reads nothing in full.
TEST(EfuseBurner, ItsKnownAfterIsAFreshReadAndTheNextBurnTakesItInsteadOfReading) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const FlashEncryptionKey key = test_key();
  CommandCountingRegisters regs(device.efuse);
  EfuseBurner burner(regs);
  BurnOptions first;
  first.device_now = &before;
  const BurnReport report = burner.execute(plan, before, &key, first);
  ASSERT_TRUE(report.known_after_valid);
  const EfuseImage fresh = device.snapshot();
  for (unsigned b = 0; b < chip::esp32s3_efuse::kBlockCount; ++b) {
    EXPECT_EQ(report.known_after.block_bytes(b), fresh.block_bytes(b)) << "block " << b;
  }
  EXPECT_EQ(report.known_after.block_bytes(4), Bytes(32, 0)) << "the key block it read-protected reads as zeros";
  EXPECT_FALSE(report.known_after.any_errors());

  const unsigned reads_before_lock = regs.reads;
  BurnOptions lock;
  lock.boot_verified = true;
  lock.device_now = &report.known_after;
  const BurnReport locked = burner.execute(plan, before, &key, lock);
  unsigned burned = 0;
  for (const auto& step : locked.steps) burned += step.outcome == BurnStep::Outcome::Burned;
  EXPECT_EQ(burned, 1u) << "everything but the lock is found done from the image given";
  // Only the lock's own cycle reads: timing, idle polls and BLOCK0's read-back (the download lock
  // is verified by read-back alone: a real ROM may stop answering).
  EXPECT_EQ(regs.reads - reads_before_lock, 3u + 2 + 4 + 6);
  EXPECT_EQ(field(device.snapshot(), "ENABLE_SECURITY_DOWNLOAD"), 1u);
}

TEST(EfuseBurner, ASecondRunBurnsNothing) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const FlashEncryptionKey key = test_key();
  EmulatedRegisters regs(device.efuse);
  EfuseBurner burner(regs);
  (void)burner.execute(plan, before, &key);
  const unsigned cycles = device.efuse.program_cycles();
  const BurnReport again = burner.execute(plan, before, &key);
  EXPECT_FALSE(again.burned_anything());
  EXPECT_EQ(device.efuse.program_cycles(), cycles);
}

TEST(EfuseBurner, PowerLossAtAnyAccessThenResumeEndsInTheSameStateWithoutDoubleBurns) {
  const Images images;
  const FlashEncryptionKey key = test_key();
  // The uninterrupted run: its final eFuses, program cycles and register accesses.
  Device reference;
  const EfuseImage virgin = reference.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), virgin, images.list());
  EmulatedRegisters counting(reference.efuse);
  (void)EfuseBurner(counting).execute(plan, virgin, &key);
  const EfuseImage expected = reference.snapshot();
  const unsigned expected_cycles = reference.efuse.program_cycles();
  ASSERT_GT(counting.accesses(), 100);

  // Cut the link before every single register access of the run.
  for (long cut = 0; cut < counting.accesses(); ++cut) {
    Device device;
    const EfuseImage before = device.snapshot();
    EmulatedRegisters dying(device.efuse, cut);
    EXPECT_THROW((void)EfuseBurner(dying).execute(plan, before, &key), IoError) << cut;
    // Reconnecting resets the chip, which loads the eFuse read registers again (a cut between a
    // program cycle and its READ_CMD leaves them stale until then).
    device.efuse.reload();
    EmulatedRegisters fresh(device.efuse);
    (void)EfuseBurner(fresh).execute(plan, before, &key);
    const EfuseImage after = device.snapshot();
    for (unsigned b = 0; b < chip::esp32s3_efuse::kBlockCount; ++b) {
      EXPECT_EQ(after.block(b), expected.block(b)) << "block " << b << " after a cut at access " << cut;
    }
    EXPECT_EQ(device.efuse.program_cycles(), expected_cycles) << "a block was programmed twice (cut " << cut << ")";
  }
}

TEST(EfuseBurner, AStalePlanIsRefusedAndNothingIsBurned) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  // Someone burns BLOCK_USR_DATA (not in the plan) between planning and burning.
  EmulatedRegisters regs(device.efuse);
  EfuseBurner(regs).execute(
      BurnPlan{{BurnBatch{"other tool", {}, {FieldWrite{"BLOCK_USR_DATA", 0x1234, "test"}}, false}}, {}}, before,
      nullptr);
  const unsigned cycles = device.efuse.program_cycles();
  const FlashEncryptionKey key = test_key();
  try {
    (void)EfuseBurner(regs).execute(plan, before, &key);
    ADD_FAILURE() << "a stale plan was executed";
  } catch (const PolicyRefusalError& error) {
    EXPECT_EQ(error.code(), "security.burn.stale_plan");
    EXPECT_NE(error.message().find("BLOCK_USR_DATA"), std::string::npos) << error.message();
  }
  EXPECT_EQ(device.efuse.program_cycles(), cycles);
}

TEST(EfuseBurner, AKeyBlockHoldingAnotherKeyIsRefused) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  // A previous station run burned a different key into the planned block, then crashed before
  // protecting it: the executor must not OR a second key into the RS-coded block.
  Bytes other(32);
  for (std::size_t i = 0; i < other.size(); ++i) other[i] = static_cast<std::uint8_t>(0x11 * (i + 1));
  const FlashEncryptionKey previous{SecretBytes(std::move(other))};
  BurnPlan key_only;
  key_only.batches.push_back(plan.batches.front());
  key_only.batches.front().fields.clear();
  EmulatedRegisters regs(device.efuse);
  (void)EfuseBurner(regs).execute(key_only, before, &previous);
  const unsigned cycles = device.efuse.program_cycles();
  const FlashEncryptionKey key = test_key();
  try {
    (void)EfuseBurner(regs).execute(plan, before, &key);
    ADD_FAILURE() << "a second key was burned over the first";
  } catch (const PolicyRefusalError& error) {
    EXPECT_EQ(error.code(), "security.burn.rs_block_not_empty") << error.message();
  }
  EXPECT_EQ(device.efuse.program_cycles(), cycles);
}

TEST(EfuseBurner, AFlashEncryptionPlanWithoutTheKeyIsRefusedBeforeBurning) {
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const unsigned cycles = device.efuse.program_cycles();
  EmulatedRegisters regs(device.efuse);
  EXPECT_THROW((void)EfuseBurner(regs).execute(plan, before, nullptr), PolicyRefusalError);
  EXPECT_EQ(device.efuse.program_cycles(), cycles);
}

// The identity's DS key (KeySource::SecretKey): burned read-protected from the key given; a
// resumed run without it finds the sealed block done; a plan whose DS block is still empty is
// refused without the key, before anything burns.
TEST(EfuseBurner, ADsKeyIsBurnedHiddenAndWithoutItOnlyASealedBlockCountsAsDone) {
  Device device;
  const Images images;
  auto profile = lockdown();
  profile.ds_hmac_key_block = 5;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(profile, before, images.list());
  Bytes hmac(32);
  for (std::size_t i = 0; i < hmac.size(); ++i) hmac[i] = static_cast<std::uint8_t>(0x30 + i);
  const SecretBytes secret_keys[] = {SecretBytes(hmac)};
  const FlashEncryptionKey key = test_key();

  const unsigned cycles = device.efuse.program_cycles();
  EmulatedRegisters regs(device.efuse);
  try {
    (void)EfuseBurner(regs).execute(plan, before, &key);
    ADD_FAILURE() << "burned without the DS key";
  } catch (const PolicyRefusalError& error) {
    EXPECT_EQ(error.code(), "security.burn.no_secret_key") << error.message();
  }
  EXPECT_EQ(device.efuse.program_cycles(), cycles) << "refused before the first program cycle";

  (void)EfuseBurner(regs).execute(plan, before, &key, {}, {}, secret_keys);
  const auto raw = device.efuse.key_block(5);
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), hmac.begin())) << "the chip's DS uses this key";
  const EfuseImage after = device.snapshot();
  EXPECT_EQ(field(after, "KEY_PURPOSE_5"), 7u);
  EXPECT_TRUE(after.read_protected(5));
  EXPECT_EQ(after.block_bytes(9), Bytes(32, 0)) << "software reads zeros";

  // The resumed run's final lock, without either key.
  const BurnReport lock = EfuseBurner(regs).execute(plan, before, nullptr, BurnOptions{.boot_verified = true});
  bool ds_done = false;
  for (const auto& step : lock.steps) {
    if (step.block == 9) ds_done = step.outcome == BurnStep::Outcome::AlreadyDone;
  }
  EXPECT_TRUE(ds_done);
}

TEST(EfuseBurner, WithoutTheKeyOnlyABlockAlreadyBurnedAndHiddenCountsAsDone) {
  // The station's resumed run: the key left memory once its block was read-protected.
  Device device;
  const Images images;
  const EfuseImage before = device.snapshot();
  const BurnPlan plan = plan_burn(lockdown(), before, images.list());
  const FlashEncryptionKey key = test_key();
  EmulatedRegisters regs(device.efuse);
  EfuseBurner burner(regs);
  (void)burner.execute(plan, before, &key);  // all but the final lock
  const unsigned cycles = device.efuse.program_cycles();
  const BurnReport lock = burner.execute(plan, before, nullptr, BurnOptions{.boot_verified = true});
  EXPECT_EQ(device.efuse.program_cycles(), cycles + 1) << "only the lock";
  EXPECT_EQ(field(device.snapshot(), "ENABLE_SECURITY_DOWNLOAD"), 1u);
  bool key_block_done = false;
  for (const auto& step : lock.steps) {
    if (step.block == 4) key_block_done = step.outcome == BurnStep::Outcome::AlreadyDone;
  }
  EXPECT_TRUE(key_block_done);

  // A key block written but still readable (no purpose, no RD_DIS yet) is not done: refused, nothing burned.
  Device other;
  const EfuseImage fresh = other.snapshot();
  BurnPlan key_only;
  BurnBatch batch = plan.batches.front();
  batch.fields.clear();
  for (auto& write : batch.key_blocks) write.read_protect = write.write_protect = false;
  key_only.batches.push_back(batch);
  EmulatedRegisters other_regs(other.efuse);
  (void)EfuseBurner(other_regs).execute(key_only, fresh, &key);
  EXPECT_EQ(other.snapshot().block_bytes(4)[0], 0xBF) << "the reversed key, readable";
  const unsigned other_cycles = other.efuse.program_cycles();
  EXPECT_THROW((void)EfuseBurner(other_regs).execute(plan, fresh, nullptr), PolicyRefusalError);
  EXPECT_EQ(other.efuse.program_cycles(), other_cycles);
  // With the key taken back from the readable block, the rest of the plan completes.
  const SecretBytes blocks[] = {SecretBytes(other.snapshot().block_bytes(4))};
  const FlashEncryptionKey recovered = FlashEncryptionKey::from_efuse_blocks(blocks);
  EXPECT_TRUE(std::equal(recovered.key_file_bytes().view().begin(), recovered.key_file_bytes().view().end(),
                         key.key_file_bytes().view().begin()));
  (void)EfuseBurner(other_regs).execute(plan, fresh, &recovered);
  EXPECT_TRUE(other.snapshot().read_protected(0));
  EXPECT_EQ(field(other.snapshot(), "SPI_BOOT_CRYPT_CNT"), 7u);
}

}  // namespace
}  // namespace espfab::security
