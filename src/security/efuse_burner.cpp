#include "security/efuse_burner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "chip/esp32s3_efuse.hpp"
#include "chip/esp32s3_efuse_fields.hpp"
#include "security/efuse_reed_solomon.hpp"
#include "security/key_purpose.hpp"
#include "util/error.hpp"

namespace espfab::security {

namespace efuse = chip::esp32s3_efuse;

namespace {

constexpr std::uint32_t kIdleMask = efuse::kReadCmd | efuse::kPgmCmd;
constexpr auto kIdleTimeout = std::chrono::milliseconds(250);  // espefuse's EFUSE_BURN_TIMEOUT

// Controller timing for a 40 MHz crystal (docs/efuse-and-security-facts.md §7 step 1): (register, field mask, value).
struct TimingField {
  std::uint32_t reg;
  std::uint32_t mask;
  std::uint32_t value;
};
constexpr std::array<TimingField, 4> kTiming{{
    {efuse::EFUSE_DAC_CONF_REG, 0xFFu << 9, 0xFFu << 9},          // DAC_NUM [16:9]
    {efuse::EFUSE_DAC_CONF_REG, 0xFFu, 0x28u},                    // DAC_CLK_DIV [7:0]
    {efuse::EFUSE_WR_TIM_CONF1_REG, 0xFFFFu << 8, 0x3000u << 8},  // PWR_ON_NUM [23:8]
    {efuse::EFUSE_WR_TIM_CONF2_REG, 0xFFFFu, 0x190u},             // PWR_OFF_NUM [15:0]
}};

std::uint32_t reg(std::uint32_t offset) { return efuse::kBase + offset; }

// Bits one block program cycle sets, and what it is for.
struct BlockProgram {
  unsigned block = 0;
  BlockWords bits{};
  std::vector<std::string> labels;
  // Key blocks: the purpose the same batch gives them and whether they end read-protected.
  std::optional<KeyPurpose> key_purpose;
  // The device key was not given: fine only when the block turns out burned and read-protected
  // already (a resumed run after the key left memory); otherwise the burn is refused.
  bool device_key_missing = false;
  bool secret_key_missing = false;  // the same for a KeySource::SecretKey write (an HMAC / DS key)

  BlockProgram() = default;
  BlockProgram(const BlockProgram&) = delete;
  BlockProgram& operator=(const BlockProgram&) = delete;
  BlockProgram(BlockProgram&&) = default;
  BlockProgram& operator=(BlockProgram&&) = default;
  ~BlockProgram() { OPENSSL_cleanse(bits.data(), sizeof bits); }  // may hold key bits
};

void set_field_bits(BlockWords& words, const efuse::FieldInfo& field, std::uint64_t value) {
  const auto first = static_cast<unsigned>(field.word * 32 + field.pos);
  for (unsigned i = 0; i < field.bit_len && i < 64; ++i) {
    if ((value >> i) & 1u) words[(first + i) / 32] |= 1u << ((first + i) % 32);
  }
}

const efuse::FieldInfo& field_info(std::string_view name) {
  const auto* field = efuse::find_field(name);
  if (field == nullptr || field->calculated()) {
    throw InternalError("security.burn.unknown_field", fmt::format("the plan names an unknown eFuse field {}", name),
                        "this is a bug in the planner");
  }
  return *field;
}

void bytes_to_words(std::span<const std::uint8_t> bytes, BlockWords& words) {
  for (std::size_t i = 0; i < bytes.size() && i < words.size() * 4; ++i) {
    words[i / 4] |= std::uint32_t{bytes[i]} << (8 * (i % 4));
  }
}

std::map<unsigned, BlockProgram> programs_for(const BurnBatch& batch, const FlashEncryptionKey* device_key,
                                              std::span<const SecretBytes> secret_keys) {
  std::map<unsigned, BlockProgram> programs;
  auto program = [&](unsigned block) -> BlockProgram& {
    auto& p = programs[block];
    p.block = block;
    return p;
  };
  for (const auto& write : batch.key_blocks) {
    const unsigned block = efuse::kBlockKey0 + write.key_block;
    auto& p = program(block);
    if (write.source == KeySource::DeviceFlashEncryptionKey) {
      if (device_key == nullptr || write.key_half >= device_key->block_count()) {
        p.device_key_missing = true;
      } else {
        const SecretBytes half = device_key->efuse_block_bytes(write.key_half);
        bytes_to_words(half.view(), p.bits);
      }
    } else if (write.source == KeySource::SecretKey) {
      if (write.key_half >= secret_keys.size() || secret_keys[write.key_half].size() != 32) {
        p.device_key_missing = true;
        p.secret_key_missing = true;
      } else {
        bytes_to_words(secret_keys[write.key_half].view(), p.bits);
      }
    } else {
      bytes_to_words(write.digest, p.bits);
    }
    p.key_purpose = write.purpose;
    p.labels.push_back(fmt::format("{} ({})", efuse::kBlocks[block].name,
                                   key_purpose_name(static_cast<std::uint32_t>(write.purpose))));
  }
  for (const auto& write : batch.fields) {
    const auto& field = field_info(write.field);
    auto& p = program(field.block);
    set_field_bits(p.bits, field, write.value);
    p.labels.push_back(fmt::format("{} = 0x{:x}", write.field, write.value));
  }
  return programs;
}

bool all_set(const BlockWords& have, const BlockWords& want) {
  for (std::size_t i = 0; i < want.size(); ++i)
    if ((have[i] & want[i]) != want[i]) return false;
  return true;
}

bool empty(const BlockWords& words) {
  return std::all_of(words.begin(), words.end(), [](std::uint32_t w) { return w == 0; });
}

// `known` after `block` read back as `words`. BLOCK0 may read-protect blocks: those read as zeros
// from now on.
void learn(EfuseImage& known, unsigned block, const BlockWords& words) {
  known.block(block) = words;
  if (block != 0) return;
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto bit = efuse::kBlocks[b].read_disable_bit;
    if (bit && known.read_protected(static_cast<int>(*bit))) known.block(b).fill(0);
  }
}

// A key block that reads as zeros is burned already when BLOCK0 (of `known`) read-protects it with
// the planned purpose.
bool key_block_sealed(const EfuseImage& known, const BlockProgram& program) {
  const unsigned block = program.block;
  const bool protected_now = known.read_protected(static_cast<int>(*efuse::kBlocks[block].read_disable_bit));
  const auto purpose = known.field_uint(fmt::format("KEY_PURPOSE_{}", block - efuse::kBlockKey0));
  return protected_now && purpose == static_cast<std::uint64_t>(*program.key_purpose);
}

// A device-key block whose key was not given must be burned already: zeros to software,
// read-protected, with the planned purpose. Anything else is refused (nothing burned for it).
void require_key_block_done(const EfuseImage& known, const BlockWords& current, const BlockProgram& program) {
  if (empty(current) && key_block_sealed(known, program)) return;
  if (program.secret_key_missing) {
    throw PolicyRefusalError(
        "security.burn.no_secret_key",
        fmt::format("the plan burns a 32-byte key into {} but it was not given", efuse::kBlocks[program.block].name),
        "pass the key (a resumed station run has lost it: the device's DS identity must be sealed again)");
  }
  throw PolicyRefusalError("security.burn.no_device_key",
                           fmt::format("the plan burns a flash-encryption key into {} but no key was given",
                                       efuse::kBlocks[program.block].name),
                           "generate the device key in memory and pass it to the burner");
}

// The controller's register protocol, each step one loader command where the registers allow:
// writes that follow each other go out as one batch (EfuseRegisters::write_all).
class Controller {
 public:
  explicit Controller(EfuseRegisters& registers) : registers_(registers) {}

  BlockWords read_block(unsigned block) {
    BlockWords words{};
    const auto& info = efuse::kBlocks[block];
    for (unsigned w = 0; w < info.words; ++w) words[w] = registers_.read(efuse::kBase + info.read_offset + 4 * w);
    return words;
  }

  BlockErrors errors(unsigned block) {
    BlockErrors result;
    if (block == 0) {
      for (unsigned i = 0; i < 5; ++i) {
        result.count +=
            static_cast<unsigned>(__builtin_popcount(registers_.read(reg(efuse::EFUSE_RD_REPEAT_ERR0_REG + 4 * i))));
      }
      result.fail = result.count != 0;
      return result;
    }
    const auto& info = efuse::kBlocks[block];
    const std::uint32_t word = registers_.read(reg(info.rs_err_reg));
    result.count = (word >> info.rs_err_shift) & 0x7u;
    result.fail = ((word >> (info.rs_err_shift + 3)) & 1u) != 0;
    return result;
  }

  // Read-modify-write of the timing fields: each register read once, all written in one batch.
  void set_timing() {
    std::map<std::uint32_t, std::uint32_t> values;
    for (const auto& t : kTiming) {
      auto it = values.find(t.reg);
      if (it == values.end()) it = values.emplace(t.reg, registers_.read(reg(t.reg))).first;
      it->second = (it->second & ~t.mask) | (t.value & t.mask);
    }
    std::vector<EfuseRegisterWrite> writes;
    writes.reserve(values.size());
    for (const auto& [offset, value] : values) writes.push_back({reg(offset), value});
    registers_.write_all(writes);
  }

  // Returns at once when the controller was seen idle and no command was given since.
  void wait_idle() {
    if (idle_) return;
    const auto deadline = std::chrono::steady_clock::now() + kIdleTimeout;
    while (true) {
      // Read twice: the second read works around a READ_CMD quirk of the controller (docs/efuse-and-security-facts.md
      // §7).
      if ((registers_.read(reg(efuse::EFUSE_CMD_REG)) & kIdleMask) == 0 &&
          (registers_.read(reg(efuse::EFUSE_CMD_REG)) & kIdleMask) == 0) {
        idle_ = true;
        return;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw TimeoutError("security.burn.controller_busy", "the eFuse controller stayed busy for 250 ms",
                           "power-cycle the device and run the same plan again; nothing is burned twice");
      }
    }
  }

  // Once idle: all eleven program registers (BLOCK0 has no check words: zeros), CONF 0x5A5A and
  // PGM_CMD for `block`, in one batch; then waits for the cycle to end. Every program register is
  // written, so nothing an earlier cycle left in them is burned.
  void program(unsigned block, const BlockWords& data) {
    wait_idle();
    std::array<EfuseRegisterWrite, efuse::kPgmDataWords + efuse::kCheckWords + 2> writes{};
    for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) writes[w] = {reg(efuse::EFUSE_PGM_DATA0_REG + 4 * w), data[w]};
    std::array<std::uint32_t, efuse::kCheckWords> check{};
    if (efuse::kBlocks[block].rs_coded) {
      std::array<std::uint8_t, efuse::kRsDataBytes> bytes{};
      for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(data[i / 4] >> (8 * (i % 4)));
      check = rs_check_words(bytes);
      OPENSSL_cleanse(bytes.data(), bytes.size());
    }
    for (unsigned w = 0; w < efuse::kCheckWords; ++w) {
      writes[efuse::kPgmDataWords + w] = {reg(efuse::EFUSE_CHECK_VALUE0_REG + 4 * w), check[w]};
    }
    writes[efuse::kPgmDataWords + efuse::kCheckWords] = {reg(efuse::EFUSE_CONF_REG), efuse::kWriteOpCode};
    writes[efuse::kPgmDataWords + efuse::kCheckWords + 1] = {reg(efuse::EFUSE_CMD_REG),
                                                             efuse::kPgmCmd | (block << efuse::kPgmBlockShift)};
    idle_ = false;
    registers_.write_all(writes);
    OPENSSL_cleanse(writes.data(), sizeof writes);  // may hold key bits
    OPENSSL_cleanse(check.data(), sizeof check);
    wait_idle();
  }

  // After a program cycle (controller idle): zeros into the program registers (no key bits stay in
  // them), CONF 0x5AA5 and READ_CMD, the 1 ms the reload needs, in one batch; then waits for idle.
  void clear_and_reload() {
    std::array<EfuseRegisterWrite, efuse::kPgmDataWords + efuse::kCheckWords + 2> writes{};
    for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) writes[w] = {reg(efuse::EFUSE_PGM_DATA0_REG + 4 * w), 0};
    for (unsigned w = 0; w < efuse::kCheckWords; ++w) {
      writes[efuse::kPgmDataWords + w] = {reg(efuse::EFUSE_CHECK_VALUE0_REG + 4 * w), 0};
    }
    writes[efuse::kPgmDataWords + efuse::kCheckWords] = {reg(efuse::EFUSE_CONF_REG), efuse::kReadOpCode};
    writes[efuse::kPgmDataWords + efuse::kCheckWords + 1] = {reg(efuse::EFUSE_CMD_REG), efuse::kReadCmd};
    idle_ = false;
    registers_.write_all(writes, 1);
    wait_idle();
  }

 private:
  EfuseRegisters& registers_;
  bool idle_ = false;  // seen idle, no command since
};

bool locks_download(const BlockProgram& program) {
  if (program.block != 0) return false;
  BlockWords lock{};
  set_field_bits(lock, field_info("ENABLE_SECURITY_DOWNLOAD"), 1);
  set_field_bits(lock, field_info("DIS_DOWNLOAD_MODE"), 1);
  for (std::size_t i = 0; i < lock.size(); ++i)
    if (program.bits[i] & lock[i]) return true;
  return false;
}

// Bits any batch of the plan sets, per block (what a previous run of the plan may have burned).
std::array<BlockWords, efuse::kBlockCount> planned_bits(const BurnPlan& plan) {
  std::array<BlockWords, efuse::kBlockCount> planned{};
  for (const auto& batch : plan.batches) {
    for (const auto& write : batch.key_blocks) planned[efuse::kBlockKey0 + write.key_block].fill(0xFFFFFFFFu);
    for (const auto& write : batch.fields) {
      const auto& field = field_info(write.field);
      set_field_bits(planned[field.block], field, write.value);
    }
  }
  return planned;
}

}  // namespace

void check_plan_explains(const BurnPlan& plan, const EfuseImage& planned_from, const EfuseImage& now) {
  const auto planned = planned_bits(plan);
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    for (unsigned w = 0; w < efuse::kPgmDataWords; ++w) {
      const std::uint32_t outside = ~planned[b][w];
      if ((now.block(b)[w] & outside) != (planned_from.block(b)[w] & outside)) {
        throw PolicyRefusalError(
            "security.burn.stale_plan",
            fmt::format("{} word {} is 0x{:08x} on the device but was 0x{:08x} when the plan was made, and the plan "
                        "does not explain the difference",
                        efuse::kBlocks[b].name, w, now.block(b)[w], planned_from.block(b)[w]),
            "read the device's eFuses again, make a new plan and review it; nothing was burned");
      }
    }
  }
  if (now.any_errors()) {
    throw DeviceStatusError("security.burn.efuse_errors",
                            "the device reports eFuse read errors before anything is burned",
                            "do not burn this chip; send it to repair with its eFuse summary");
  }
}

EfuseImage with_fields_programmed(EfuseImage image, const BurnBatch& batch) {
  for (const auto& write : batch.fields) {
    const auto& field = field_info(write.field);
    set_field_bits(image.block(field.block), field, write.value);
  }
  return image;
}

EfuseImage read_efuses(EfuseRegisters& registers) {
  return EfuseImage::read([&registers](std::uint32_t address) { return registers.read(address); });
}

bool BurnReport::burned_anything() const {
  return std::any_of(steps.begin(), steps.end(),
                     [](const BurnStep& s) { return s.outcome != BurnStep::Outcome::AlreadyDone; });
}

BurnReport EfuseBurner::execute(const BurnPlan& plan, const EfuseImage& planned_from,
                                const FlashEncryptionKey* device_key, const BurnOptions& options,
                                const BurnObserver& observer, std::span<const SecretBytes> secret_keys) {
  Controller controller(registers_);
  BurnReport report;
  report.read_before = options.device_now != nullptr ? *options.device_now : read_efuses(registers_);
  check_plan_explains(plan, planned_from, report.read_before);
  // The eFuses as known here: the full read above, each block replaced by its read-back once
  // programmed (nothing but this executor burns meanwhile), so no block is read before its cycle.
  EfuseImage known = report.read_before;
  // A missing device key is refused before anything burns, unless its blocks are done already.
  for (const auto& batch : plan.batches) {
    if (batch.after_boot_verified && !options.boot_verified) continue;
    for (const auto& [block, program] : programs_for(batch, device_key, secret_keys)) {
      if (program.device_key_missing) require_key_block_done(known, known.block(block), program);
    }
  }
  bool timing_set = false;

  for (const auto& batch : plan.batches) {
    if (batch.after_boot_verified && !options.boot_verified) continue;  // the final lock waits
    auto programs = programs_for(batch, device_key, secret_keys);
    // Highest block first, BLOCK0 (WR_DIS, RD_DIS, purposes) last.
    for (auto it = programs.rbegin(); it != programs.rend(); ++it) {
      const BlockProgram& program = it->second;
      const unsigned block = program.block;
      BurnStep step;
      step.batch = batch.name;
      step.block = block;
      step.fields = program.labels;
      const BlockWords& current = known.block(block);

      if (program.device_key_missing) {
        require_key_block_done(known, current, program);
        step.outcome = BurnStep::Outcome::AlreadyDone;
        step.note = "already burned: read-protected with the planned purpose";
      } else if (all_set(current, program.bits)) {
        step.outcome = BurnStep::Outcome::AlreadyDone;
        step.note = "already burned: read back equal";
      } else if (program.key_purpose && empty(current)) {
        // A key block that reads as zeros is either empty or burned and read-protected already.
        if (key_block_sealed(known, program)) {
          step.outcome = BurnStep::Outcome::AlreadyDone;
          step.note = "already burned: read-protected with the planned purpose";
        }
      } else if (efuse::kBlocks[block].rs_coded && !empty(current)) {
        throw PolicyRefusalError(
            "security.burn.rs_block_not_empty",
            fmt::format("{} already holds other data; an RS-coded block can be written only once",
                        efuse::kBlocks[block].name),
            "choose a free key block in the profile (or leave this chip for repair); nothing more was burned");
      }
      if (step.outcome == BurnStep::Outcome::AlreadyDone) {
        if (observer) observer(step, true);
        report.steps.push_back(std::move(step));
        continue;
      }

      if (observer) observer(step, false);
      if (!timing_set) {
        controller.set_timing();
        timing_set = true;
      }
      const bool download_lock = locks_download(program);
      for (step.attempts = 1; step.attempts <= options.attempts; ++step.attempts) {
        controller.program(block, program.bits);
        if (download_lock) {
          // The chip may stop answering READ_REG once download mode is locked: verify what can be.
          try {
            controller.clear_and_reload();
            const BlockWords read_back = controller.read_block(block);
            if (all_set(read_back, program.bits)) {
              learn(known, block, read_back);
              break;
            }
          } catch (const Error&) {
            step.outcome = BurnStep::Outcome::Unverifiable;
            step.note = "programmed; the chip no longer answers register reads (download mode locked)";
            break;
          }
          continue;
        }
        controller.clear_and_reload();
        const BlockErrors errors = controller.errors(block);
        BlockWords read_back = controller.read_block(block);
        const bool verified = !errors.fail && all_set(read_back, program.bits);
        if (verified) learn(known, block, read_back);
        OPENSSL_cleanse(read_back.data(), sizeof read_back);  // a key block still readable holds key bits
        if (verified) break;
      }
      if (step.attempts > options.attempts) {
        throw DeviceStatusError(
            "security.burn.verify_failed",
            fmt::format("{} did not read back as programmed after {} attempts ({})", efuse::kBlocks[block].name,
                        options.attempts, fmt::join(program.labels, ", ")),
            "stop this fixture: record the chip's eFuse summary and send it to an engineer");
      }
      if (observer) observer(step, true);
      report.steps.push_back(std::move(step));
    }
  }
  report.known_after_valid = std::none_of(report.steps.begin(), report.steps.end(), [](const BurnStep& s) {
    return s.outcome == BurnStep::Outcome::Unverifiable;
  });
  if (report.known_after_valid) report.known_after = known;
  return report;
}

}  // namespace espfab::security
