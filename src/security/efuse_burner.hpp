// The eFuse burn executor: runs a BurnPlan (burn_plan.hpp) on a device, one program cycle per
// block, through the eFuse controller's registers (docs/efuse-and-security-facts.md §7):
// timing setup, PGM_DATA (+ RS check words for blocks 1..10), CONF 0x5A5A + PGM_CMD, clear,
// CONF 0x5AA5 + READ_CMD, error registers, read back and compare. Writes that follow each other go
// out as one batch (EfuseRegisters::write_all: one WRITE_REG with a record per register through the
// loader), so a program cycle is two write commands and a few reads; the eFuses are read in full
// once, before anything is burned, and each block after its cycle.
//
// Safety rules it enforces on top of the planner's:
// - Before anything is burned, the device's eFuses must be the ones the plan was made from, except
//   for bits the plan itself sets (a previous, interrupted run of the same plan). Anything else
//   means the plan is stale: refused, nothing burned.
// - A block whose planned bits already read back as set is skipped: never burned twice. A key block
//   that is already read-protected with the planned purpose counts as done (it reads as zeros).
// - An RS-coded block (1..10) is programmed only when empty; a partly written one is refused.
// - Within a batch: key blocks first (highest first), BLOCK0 last, as espefuse does, so WR_DIS /
//   RD_DIS / KEY_PURPOSE land after the data they protect. A batch marked after_boot_verified
//   (the final lock) runs only when the caller says the boot was verified.
// - Each block is verified after programming (errors and read-back); up to 3 attempts.
// Running the same plan again after an interruption at any point therefore burns only what is
// missing and ends in the same state.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"

namespace espfab::security {

// One register write of a batch (absolute address).
struct EfuseRegisterWrite {
  std::uint32_t address = 0;
  std::uint32_t value = 0;
};

// Access to the eFuse controller's register window (absolute addresses).
// An interface, used by reference; implementations choose their own copy and move.
class EfuseRegisters {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  virtual ~EfuseRegisters() = default;
  virtual std::uint32_t read(std::uint32_t address) = 0;
  virtual void write(std::uint32_t address, std::uint32_t value) = 0;
  // At least `milliseconds` pass before the next access (the controller's read refresh needs 1 ms).
  virtual void pause(unsigned milliseconds) = 0;
  // `writes` in order, then `pause_after_ms`. The loader sends them as one WRITE_REG command (it
  // takes many records, the pause as a delay record): one round trip instead of one per register.
  // This default writes them one by one.
  virtual void write_all(std::span<const EfuseRegisterWrite> writes, unsigned pause_after_ms = 0) {
    for (const auto& w : writes) write(w.address, w.value);
    if (pause_after_ms != 0) pause(pause_after_ms);
  }
};

// Throws PolicyRefusalError("security.burn.stale_plan") when `now` differs from `planned_from`
// anywhere outside the bits `plan` sets (what an interrupted run of the plan can leave), and
// DeviceStatusError when the eFuses report read errors. The executor checks this before it burns.
void check_plan_explains(const BurnPlan& plan, const EfuseImage& planned_from, const EfuseImage& now);

// The eFuse read registers and error registers of a device, as one snapshot.
EfuseImage read_efuses(EfuseRegisters& registers);

// `image` with the field writes of `batch` ORed in: what the eFuses hold once the batch is burned,
// for a batch the ROM loader cannot read back (the download-mode lock: the ROM checks those fields
// after each command, so register reads fail once the lock's READ_CMD has loaded them).
EfuseImage with_fields_programmed(EfuseImage image, const BurnBatch& batch);

struct BurnStep {
  std::string batch;
  unsigned block = 0;
  std::vector<std::string> fields;  // what the cycle programs ("BLOCK_KEY0 (XTS_AES_128_KEY)", "WR_DIS", ...)
  enum class Outcome { Burned, AlreadyDone, Unverifiable } outcome = Outcome::Burned;
  unsigned attempts = 0;
  std::string note;
};

struct BurnReport {
  std::vector<BurnStep> steps;
  // The device's eFuses before the first program cycle (the stale-plan check's image): what a
  // caller that cannot read them afterwards (the download-mode lock) records.
  EfuseImage read_before;
  // The eFuses as the chip reads them after the burn: read_before with each programmed block's
  // read-back, blocks read-protected by it as zeros, the error registers as before (a cycle that
  // left errors fails the burn). Not valid when a block was left unverifiable.
  EfuseImage known_after;
  bool known_after_valid = false;
  bool burned_anything() const;
};

struct BurnOptions {
  bool boot_verified = false;  // permits batches marked after_boot_verified (the final lock)
  unsigned attempts = 3;       // program cycles per block before giving up
  // The device's eFuses as the caller read (or burned: BurnReport::known_after) them with nothing
  // but the loader run on the chip since; the executor then skips its own full read. Null: it reads.
  const EfuseImage* device_now = nullptr;
};

// Called before each block's program cycle (outcome not yet known) and after it.
using BurnObserver = std::function<void(const BurnStep& step, bool finished)>;

class EfuseBurner {
 public:
  explicit EfuseBurner(EfuseRegisters& registers) : registers_(registers) {}

  // `planned_from` is the snapshot plan_burn() was given; `device_key` holds the flash-encryption
  // key when the plan burns one (KeySource::DeviceFlashEncryptionKey), else may be null.
  // Throws PolicyRefusalError (stale plan, RS block not empty, final lock before a verified boot,
  // missing key), DeviceStatusError (the controller reports errors or bits did not stick after all
  // attempts), TimeoutError (controller never idle).
  // `secret_keys` holds the 32-byte keys of KeySource::SecretKey writes (by index), in block byte
  // order.
  BurnReport execute(const BurnPlan& plan, const EfuseImage& planned_from, const FlashEncryptionKey* device_key,
                     const BurnOptions& options = {}, const BurnObserver& observer = {},
                     std::span<const SecretBytes> secret_keys = {});

 private:
  EfuseRegisters& registers_;
};

}  // namespace espfab::security
