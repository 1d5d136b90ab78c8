// Phase 2b/3: the eFuse plan (recorded before anything burns), the burn in Espressif's order, the
// production firmware encrypted on the host for this device's key, the proof by a full boot, and
// the final lock once that boot is proven.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <map>
#include <optional>
#include <span>

#include "chip/esp32s3.hpp"
#include "flash/reader.hpp"
#include "image/secure_cert_tlv.hpp"
#include "security/burn_plan_json.hpp"
#include "security/efuse_burner.hpp"
#include "security/key_purpose.hpp"
#include "security/loader_efuse_registers.hpp"
#include "station/boot_console_check.hpp"
#include "station/efuse_snapshot.hpp"
#include "station/provisioning_steps.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

// The key blocks the plan fills with halves of the device's flash-encryption key, in half order.
std::vector<security::KeyBlockWrite> device_key_writes(const security::BurnPlan& plan) {
  std::vector<security::KeyBlockWrite> writes;
  for (const auto& batch : plan.batches) {
    for (const auto& key : batch.key_blocks) {
      if (key.source == security::KeySource::DeviceFlashEncryptionKey) writes.push_back(key);
    }
  }
  std::sort(writes.begin(), writes.end(), [](const auto& a, const auto& b) { return a.key_half < b.key_half; });
  return writes;
}

bool holds_secure_cert(ByteView partition) {
  return partition.size() >= 4 &&
         (std::uint32_t{partition[0]} | std::uint32_t{partition[1]} << 8 | std::uint32_t{partition[2]} << 16 |
          std::uint32_t{partition[3]} << 24) == image::kSecureCertTlvMagic;
}

bool all_zero(ByteView bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// The device's flash-encryption key for this run: generated when the chip has none yet; taken
// back from its key block(s) when an interrupted burn left them written but still readable;
// none when they are already read-protected (the flash was written with it before the burn).
std::string prepare_flash_encryption_key(DeviceContext& ctx, SecurityPlan& planned,
                                         const security::EfuseImage& current) {
  const auto& security = ctx.station.profile.security;
  if (!security.flash_encryption || planned.fe_key) return planned.fe_key ? "in memory" : "not used";
  const auto writes = device_key_writes(*planned.plan);
  if (writes.empty()) return "already on the chip";
  unsigned written = 0, hidden = 0;
  std::vector<SecretBytes> blocks;
  for (const auto& write : writes) {
    Bytes bytes = current.block_bytes(chip::kEsp32s3.efuse.first_key_block + write.key_block);
    if (current.read_protected(static_cast<int>(write.key_block))) ++hidden;
    if (!all_zero(bytes)) ++written;
    blocks.emplace_back(std::move(bytes));
  }
  if (hidden == writes.size()) return "burned and read-protected (the flash holds its ciphertext)";
  if (written == 0 && hidden == 0) {
    planned.fe_key = security::FlashEncryptionKey::generate(*security.flash_encryption);
    planned.fe_key_fresh = true;
    return "generated in memory";
  }
  if (written == writes.size() && hidden == 0) {
    planned.fe_key = security::FlashEncryptionKey::from_efuse_blocks(blocks);
    return "taken back from the key block an interrupted burn left readable";
  }
  throw PolicyRefusalError("station.fe_key_partial",
                           "the flash-encryption key blocks are partly written: the key cannot be known",
                           "an engineer must inspect this device (espfab efuse summary)");
}

// The plan's "ds key" batch (the identity's HMAC key for the DS peripheral), when it burns one.
const security::BurnBatch* ds_key_batch(const security::BurnPlan& plan) {
  for (const auto& batch : plan.batches) {
    for (const auto& key : batch.key_blocks) {
      if (key.purpose == security::KeyPurpose::HmacDownDigitalSignature) return &batch;
    }
  }
  return nullptr;
}

// With container "ds": whether the DS key this device's identity was sealed with can still reach
// its key block. It can when the key is in memory (sealed in this run) or already burned there
// (purpose HMAC_DOWN_DIGITAL_SIGNATURE, read-protected); not when an earlier run sealed the
// identity and stopped before burning the key (it existed only in that run's memory): the
// parameters on the device can never be used, so the device is rejected (its identity revoked and
// erased by retire-identity; a new run seals a new one). Anything else in the block: an engineer.
std::optional<StepOutcome> check_ds_key(DeviceContext& ctx, const security::EfuseImage& current) {
  const auto& identity = ctx.station.profile.identity;
  if (identity.container != IdentityContainer::Ds) return std::nullopt;
  const auto* injected = ctx.optional_input<InjectedIdentity>();
  if (injected != nullptr && injected->ds_hmac_key && !injected->ds_hmac_key->empty()) return std::nullopt;
  const unsigned key_block = identity.ds_key_block;
  const unsigned block = chip::kEsp32s3.efuse.first_key_block + key_block;
  const auto purpose = current.field_uint(fmt::format("KEY_PURPOSE_{}", key_block));
  const bool hidden = current.read_protected(static_cast<int>(key_block));
  if (purpose == static_cast<std::uint64_t>(security::KeyPurpose::HmacDownDigitalSignature) && hidden)
    return std::nullopt;
  if (purpose == 0 && !hidden && all_zero(current.block_bytes(block))) {
    return StepOutcome{StepVerdict::Fail,
                       fmt::format("the DS key this device's identity was sealed with was lost: the station stopped "
                                   "before burning it into BLOCK_KEY{}; the identity is revoked and erased, provision "
                                   "the device again to seal a new one",
                                   key_block),
                       {},
                       {{"ds_key", "lost before the burn"}}};
  }
  return StepOutcome{StepVerdict::Stop,
                     fmt::format("BLOCK_KEY{} (the DS key block) is partly burned or holds another key, and the DS key "
                                 "is not in memory: the sealed identity may not match it; an engineer must handle the "
                                 "device (espfab efuse summary)",
                                 key_block),
                     {},
                     {{"ds_key", "key block in an unknown state"}}};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

// The open "efuse.burn.begin" intents of this device (an earlier run stopped between a block's
// program cycle and its audit line), by block.
std::map<unsigned, std::string> open_burn_intents(DeviceContext& ctx, const std::string& mac) {
  std::map<unsigned, std::string> open;
  for (const auto& intent : open_intents(read_audit_entries(ctx.station.audit.file(), mac), mac)) {
    if (intent.value("action", "") != "efuse.burn.begin") continue;
    const auto& details = intent["details"];
    if (details.contains("block")) open[details["block"].get<unsigned>()] = intent.value("hash", "");
  }
  return open;
}

// Runs the plan's batches (the final lock only with `boot_verified`). Write-ahead audit: an
// "efuse.burn.begin" intent before each block's program cycle, the `audit_action` completion
// naming it after; an intent left open by an earlier run is reconciled from the block's read-back
// ("efuse.burn.reconciled": burned before the stop, or not and burned now). `read_before`, when
// given, receives the eFuses as read before the first program cycle.
nlohmann::json execute_plan(DeviceContext& ctx, const SecurityPlan& planned, const security::BurnPlan& plan,
                            bool boot_verified, const char* audit_action, security::EfuseImage* read_before = nullptr,
                            std::span<const SecretBytes> secret_keys = {}) {
  if (!planned.planned_from)
    throw InternalError("station.no_plan", "the eFuse plan of this device is missing",
                        "a bug: plan-security must produce a plan before this step runs");
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const std::string serial = device_serial(ctx);
  security::LoaderEfuseRegisters registers(device_session(ctx).client());
  security::EfuseBurner burner(registers);
  const std::string plan_text = security::burn_plan_to_json(plan).dump();
  const auto plan_digest =
      crypto::sha256(ByteView(reinterpret_cast<const std::uint8_t*>(plan_text.data()), plan_text.size()));
  const std::string plan_sha256 = to_hex(ByteView(plan_digest.data(), plan_digest.size()));
  auto open = open_burn_intents(ctx, mac);
  std::string intent;
  const auto reconcile = [&](unsigned block, const std::string& found) {
    const auto it = open.find(block);
    if (it == open.end()) return;
    ctx.station.audit.append(
        {"efuse.burn.reconciled", mac, serial, {{"intent", it->second}, {"block", block}, {"found", found}}});
    open.erase(it);
  };
  const auto observer = [&](const security::BurnStep& step, bool finished) {
    const nlohmann::json what = {{"batch", step.batch}, {"block", step.block}, {"fields", step.fields}};
    if (!finished) {
      ctx.mark_security_burned();
      auto begin = what;
      begin["plan_sha256"] = plan_sha256;
      intent = ctx.station.audit.append({"efuse.burn.begin", mac, serial, begin});
      return;
    }
    if (step.outcome == security::BurnStep::Outcome::AlreadyDone) {
      reconcile(step.block, "burned before the station stopped (" + step.note + ")");
      return;
    }
    auto done = what;
    done["attempts"] = step.attempts;
    done["intent"] = intent;
    if (step.outcome == security::BurnStep::Outcome::Unverifiable) done["note"] = step.note;
    ctx.station.audit.append({audit_action, mac, serial, done});
    reconcile(step.block, "not burned before the station stopped; burned now");
  };
  security::BurnOptions options;
  options.boot_verified = boot_verified;
  // Read (or burned) in this loader session: nothing else ran on the chip, no second full read.
  std::optional<security::EfuseImage> known;
  if (ctx.known_efuses && ctx.known_efuses->session == ctx.fixture.session_number()) known = ctx.known_efuses->image;
  ctx.known_efuses.reset();  // a burn that fails half-way leaves them unknown
  if (known) options.device_now = &*known;
  security::BurnReport report;
  try {
    report = burner.execute(plan, *planned.planned_from, planned.fe_key ? &*planned.fe_key : nullptr, options, observer,
                            secret_keys);
  } catch (const DeviceStatusError& error) {
    if (error.code() != "security.burn.efuse_errors" || open.empty()) throw;
    // Not someone else's eFuses: this station's own program cycle was cut (a power loss).
    std::vector<std::string> blocks;
    blocks.reserve(open.size());
    for (const auto& [block, hash] : open) blocks.push_back(std::string(chip::kEsp32s3.efuse.blocks[block].name));
    throw DeviceStatusError("station.burn_interrupted",
                            fmt::format("this station's burn of {} was interrupted (the chip lost power or the link "
                                        "died during the program cycle) and the eFuses now read with errors",
                                        join(blocks)),
                            "an engineer must inspect this chip (espfab efuse summary); do not burn it again");
  }
  if (read_before != nullptr) *read_before = report.read_before;
  if (report.known_after_valid) {
    ctx.known_efuses = DeviceContext::KnownEfuses{ctx.fixture.session_number(), report.known_after};
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : report.steps) {
    const char* outcome = step.outcome == security::BurnStep::Outcome::Burned        ? "burned"
                          : step.outcome == security::BurnStep::Outcome::AlreadyDone ? "already done"
                                                                                     : "unverifiable";
    steps.push_back({{"batch", step.batch},
                     {"block", step.block},
                     {"fields", step.fields},
                     {"outcome", outcome},
                     {"attempts", step.attempts},
                     {"note", step.note}});
  }
  return steps;
}

std::shared_ptr<Bytes> padded(ByteView data, std::size_t alignment) {
  auto out = std::make_shared<Bytes>(data.begin(), data.end());
  out->resize((out->size() + alignment - 1) / alignment * alignment, 0xFF);
  return out;
}

// A copy of secret bytes (the identity partition) wiped when its last holder lets go: the flash
// writer, a retried write and background work may each hold it.
std::shared_ptr<Bytes> padded_secret(ByteView data, std::size_t alignment) {
  std::shared_ptr<Bytes> out(new Bytes(data.begin(), data.end()), [](Bytes* bytes) {
    secure_wipe(bytes->data(), bytes->size());
    delete bytes;
  });
  out->resize((out->size() + alignment - 1) / alignment * alignment, 0xFF);
  return out;
}

// One region of flash-production: plaintext until the host encrypts it (when `encrypted` and
// flash encryption is on).
struct ProductionPart {
  std::uint32_t address;
  std::shared_ptr<Bytes> data;
  std::string name;
  bool encrypted;
};

// What flash-production writes, in order: the bootloader, the table, the identity, the production
// app in its slot, otadata when the table has one, the data images, and the erase of the
// factory-test app's header sector when it had a slot of its own.
std::vector<ProductionPart> production_parts(const FirmwareSet& fw, ByteView secure_cert) {
  std::vector<ProductionPart> parts{
      {kBootloaderOffset, padded(*fw.bootloader, 16), "bootloader", true},
      {kPartitionTableOffset, padded(*fw.partition_table, 16), "partition-table", true},
      {fw.secure_cert->offset, padded_secret(secure_cert, 16), "esp_secure_cert", true},
      {fw.production_slot->offset, padded(*fw.production_app, 16), "production-app", true},
  };
  if (fw.otadata) {
    // Selects an OTA production slot; erased (no valid entry) boots the factory partition.
    const auto slot = ota_slot_index(*fw.production_slot);
    parts.push_back(
        {fw.otadata->offset,
         std::make_shared<Bytes>(slot ? otadata_selecting(*slot, fw.otadata->size) : Bytes(fw.otadata->size, 0xFF)),
         "otadata", slot.has_value()});
  }
  for (const auto& data : fw.data) {
    parts.push_back({data.partition.offset, padded(*data.data, 16), "data:" + data.partition.name, data.encrypted});
  }
  if (fw.slots_differ()) {
    // The factory-test app's header sector, erased: it can never boot again.
    parts.push_back({fw.factory_test_slot->offset, std::make_shared<Bytes>(0x1000, 0xFF), "factory-app-erase", false});
  }
  return parts;
}

// flash-production's regions: the parts, those marked `encrypted` encrypted for `fe_key` when there
// is one (host-side flash encryption).
std::vector<flash::FlashRegion> production_regions(const FirmwareSet& fw, ByteView secure_cert,
                                                   const security::FlashEncryptionKey* fe_key) {
  std::vector<flash::FlashRegion> regions;
  for (auto& part : production_parts(fw, secure_cert)) {
    if (fe_key != nullptr && part.encrypted) security::encrypt_flash_in_place(*fe_key, part.address, *part.data);
    regions.push_back({part.address, std::move(part.data), part.name, false});
  }
  return regions;
}

// The production regions encrypted in the background (start_production_encryption), for the
// identity partition written now; flash-production takes them.
struct EncryptedProduction {
  std::vector<flash::FlashRegion> regions;
};

// Started at the end of plan-security when the device's key and its identity partition are known:
// the encryption runs while burn-fe-key burns the key (the device is busy, the host is not).
void start_production_encryption(DeviceContext& ctx, const SecurityPlan& planned) {
  // Absent when no inject-identity ran before (a step run on its own): nothing to start then.
  const auto* injected = ctx.optional_input<InjectedIdentity>();
  if (injected == nullptr) return;
  const auto& secure_cert = injected->secure_cert_partition;
  if (!ctx.station.profile.security.flash_encryption || !planned.fe_key || secure_cert.empty()) return;
  const FirmwareSet& fw = ctx.station.firmware;  // shared, read-only for the whole run
  ctx.background.start<EncryptedProduction>(
      [&fw, key = security::FlashEncryptionKey(SecretBytes(planned.fe_key->key_file_bytes().view())),
       identity = SecretBytes(secure_cert.view())] {
        return EncryptedProduction{production_regions(fw, identity.view(), &key)};
      });
}

}  // namespace

StepOutcome step_plan_security(DeviceContext& ctx) {
  auto& db = ctx.station.db;
  const auto& fw = ctx.station.firmware;
  const std::string& mac = ctx.input<ConnectResult>().mac;
  StepOutcome out;
  SecurityPlan planned;
  if (device_session(ctx).chip().secure_download_mode) {
    out.details["note"] = "Secure Download Mode: the lock-down is in place, nothing left to plan";
    out.output = StepOutput::of(std::move(planned));
    return out;
  }
  const security::EfuseImage current = read_device_efuses(ctx);
  if (auto refused = check_ds_key(ctx, current)) return std::move(*refused);
  // A resumed run plans from the snapshot the first plan was made from, so the executor accepts
  // the bits an interrupted burn already set.
  const auto earlier = db.efuse_snapshot(mac, "before-burn");
  planned.planned_from = earlier ? efuse_from_json(*earlier) : current;
  const std::vector<security::PlanImage> images{{"bootloader", *fw.bootloader}, {"app", *fw.production_app}};
  planned.plan = security::plan_burn(ctx.station.profile.security, *planned.planned_from, images);
  if (!earlier) db.store_efuse_snapshot(mac, "before-burn", efuse_to_json(current));
  out.details["flash_encryption_key"] = prepare_flash_encryption_key(ctx, planned, current);
  out.details["plan"] = security::burn_plan_to_json(*planned.plan);
  out.details["resumed_from_snapshot"] = earlier.has_value();
  start_production_encryption(ctx, planned);
  out.output = StepOutput::of(std::move(planned));
  return out;
}

StepOutcome step_burn_efuses(DeviceContext& ctx) {
  StepOutcome out;
  const auto& planned = ctx.input<SecurityPlan>();
  if (!planned.plan)
    throw InternalError("station.no_plan", "the eFuse plan of this device is missing",
                        "a bug: plan-security must produce a plan before this step runs");
  out.details["blocks"] = execute_plan(ctx, planned, *planned.plan, false, "efuse.burned");
  // The burner's image: its full read with each block it programmed read back (what a fresh read
  // gives in the same loader session); read again only when the session changed.
  const bool known = ctx.known_efuses && ctx.known_efuses->session == ctx.fixture.session_number();
  const auto after = known ? ctx.known_efuses->image : read_device_efuses(ctx);
  ctx.station.db.store_efuse_snapshot(ctx.input<ConnectResult>().mac, "after-burn", efuse_to_json(after));
  out.details["security_efuses"] = efuse_security_fields(after);
  return out;
}

StepOutcome step_burn_fe_key(DeviceContext& ctx) {
  StepOutcome out;
  const auto& planned = ctx.input<SecurityPlan>();
  // The identity's DS key, whole (purpose, read and write protection): the parameters on the
  // device were sealed with it and the host keeps no other copy; wiped once it is on the chip. Its
  // batch runs with the flash-encryption key's (in one execution: the executor accepts only bits
  // of the plan it runs), also when an earlier run burned it already (then found done).
  const auto* injected = ctx.optional_input<InjectedIdentity>();
  const std::shared_ptr<SecretBytes> ds_key = injected != nullptr ? injected->ds_hmac_key : nullptr;
  const bool ds_key_in_memory = ds_key && !ds_key->empty();
  const auto* ds_batch = planned.plan ? ds_key_batch(*planned.plan) : nullptr;
  if (!planned.fe_key_fresh && !(ds_batch != nullptr && ds_key_in_memory)) {
    out.details["note"] = planned.fe_key ? "the key is on the chip already" : "no flash-encryption key to burn now";
    out.output = StepOutput::of(FeKeyBurn{false});
    return out;
  }
  security::BurnPlan early;
  if (ds_batch != nullptr) early.batches.push_back(*ds_batch);
  if (planned.fe_key_fresh) {
    // The key block(s) alone, still readable: from here the key survives a station crash on the
    // chip itself, and burn-efuses read-protects it with the rest of the flash-encryption batch.
    security::BurnBatch batch;
    batch.name = "flash-encryption key (read-protected by burn-efuses)";
    for (auto write : device_key_writes(*planned.plan)) {
      write.read_protect = false;
      write.write_protect = false;
      batch.key_blocks.push_back(write);
    }
    early.batches.push_back(std::move(batch));
  }
  const auto secret_keys =
      ds_key_in_memory ? std::span<const SecretBytes>(ds_key.get(), 1) : std::span<const SecretBytes>();
  out.details["blocks"] = execute_plan(ctx, planned, early, false, "efuse.burned", nullptr, secret_keys);
  if (ds_key_in_memory) {
    ds_key->wipe();
    out.details["ds_key"] = "burned read-protected; the host copy is wiped";
  }
  out.output = StepOutput::of(FeKeyBurn{planned.fe_key_fresh});
  return out;
}

StepOutcome step_flash_production(DeviceContext& ctx) {
  const auto& fw = ctx.station.firmware;
  const bool encrypt = ctx.station.profile.security.flash_encryption.has_value();
  const auto& planned = ctx.input<SecurityPlan>();
  // A key generated in this run that burn-fe-key has not put on the chip yet.
  const bool fe_key_only_in_memory = planned.fe_key_fresh && !ctx.input<FeKeyBurn>().burned_now;
  const auto& fe_key = planned.fe_key;
  if (!fe_key_only_in_memory && ctx.station.db.step_done(ctx.input<ConnectResult>().mac, "flash-production")) {
    // Written in an earlier run with the key the chip holds (or will get from the plan).
    return {StepVerdict::Continue, "", {}, {{"note", "written in an earlier run"}}};
  }
  if (encrypt && !fe_key) {
    return {StepVerdict::Stop,
            "this device's flash-encryption key is gone (the station stopped after burning it and keeps no copy): "
            "the production firmware cannot be encrypted for it; an engineer must handle the device",
            {},
            {}};
  }
  SecretBytes read_back;  // the partition as the device holds it, when inject-identity did not run now
  const SecretBytes* secure_cert = &ctx.input<InjectedIdentity>().secure_cert_partition;
  if (secure_cert->empty()) {
    // A resumed run: inject-identity wrote it (plaintext) before anything was encrypted.
    const auto& partition = *fw.secure_cert;
    Bytes bytes = flash::read_flash(device_session(ctx), partition.offset, partition.size, {});
    if (!holds_secure_cert(bytes) && fe_key) {
      // An interrupted flash-production already wrote it encrypted with this same key.
      security::decrypt_flash_in_place(*fe_key, partition.offset, bytes);
    }
    if (!holds_secure_cert(bytes)) {
      secure_wipe(bytes.data(), bytes.size());
      return {StepVerdict::Stop, "the esp_secure_cert partition on the device holds no identity any more", {}, {}};
    }
    read_back = SecretBytes(std::move(bytes));
    secure_cert = &read_back;
  }
  // Encrypted during burn-fe-key when this run injected the identity (the identity's bytes are
  // wiped when the last copy goes); otherwise (a resumed run, a retry) now.
  auto prepared = read_back.empty() ? ctx.background.take<EncryptedProduction>() : std::nullopt;
  StepOutcome out;
  out.details["encrypted_in_background"] = prepared.has_value();
  const auto regions = prepared ? std::move(prepared->regions)
                                : production_regions(fw, secure_cert->view(), encrypt ? &*fe_key : nullptr);
  try {
    // Host-encrypted parts are found incompressible by the plan and go raw (flash/plan.hpp).
    out.details["regions"] = write_regions(ctx, "flash-production", regions, true, nullptr);
  } catch (const Error&) {
    // A link fault: the retry writes the same encrypted regions (they share their bytes).
    if (prepared) ctx.background.put_back(EncryptedProduction{regions});
    throw;
  }
  out.details["host_encrypted"] = encrypt;
  return out;
}

StepOutcome step_verify_boot(DeviceContext& ctx) {
  const auto& profile = ctx.station.profile;
  const auto& fw = ctx.station.firmware;
  const std::string serial = device_serial(ctx);
  const std::string& certificate_sha256 = ctx.input<InjectedIdentity>().certificate_sha256;
  const std::string console = ctx.fixture.boot(boot_console_complete, std::chrono::milliseconds(20000));
  ctx.add_console(ctx.fixture.take_console());
  const auto found = read_boot_console(console);
  std::vector<std::string> problems = found.errors;
  const bool sb = !profile.security.secure_boot_digests.empty();
  const bool fe = profile.security.flash_encryption.has_value();
  if (!found.rom_banner) problems.emplace_back("no ESP32-S3 ROM banner");
  if (sb && !found.secure_boot_verified)
    problems.emplace_back("the ROM did not report the bootloader's signature verified");
  if (fe && found.plaintext_flashes_left != 0u)
    problems.emplace_back("the bootloader did not report flash encryption on");
  if (fe && profile.security.flash_encryption_release && found.fe_release != true) {
    problems.emplace_back("the app does not report flash encryption in RELEASE mode");
  }
  if (found.loaded_app_offset != fw.production_slot->offset) {
    problems.push_back(found.loaded_app_offset
                           ? fmt::format("booted the app at 0x{:x}, expected {} at 0x{:x}", *found.loaded_app_offset,
                                         fw.production_slot->name, fw.production_slot->offset)
                           : std::string("no app was loaded"));
  }
  if (found.project_name != fw.production_descriptor.project_name) {
    problems.push_back(
        fmt::format("the app is '{}', expected '{}'", found.project_name, fw.production_descriptor.project_name));
  }
  if (found.identity_serial != serial) {
    problems.push_back(
        fmt::format("the app reports serial '{}', issued '{}'", found.identity_serial.value_or(""), serial));
  }
  if (found.identity_cert_sha256 != certificate_sha256) {
    problems.emplace_back("the app's certificate fingerprint is not the one issued");
  }
  if (!found.app_returned) problems.emplace_back("the app did not finish its start-up");
  StepOutcome out;
  out.details = {{"secure_boot_verified", found.secure_boot_verified},
                 {"flash_encryption_release", found.fe_release.value_or(false)},
                 {"app_offset", found.loaded_app_offset.value_or(0)},
                 {"project", found.project_name},
                 {"version", found.app_version},
                 {"reported_serial", found.identity_serial.value_or("")},
                 {"reported_cert_sha256", found.identity_cert_sha256.value_or("")}};
  if (!problems.empty()) {
    out.verdict = StepVerdict::Stop;  // the chip is locked down and does not run what we issued
    out.reason = join(problems);
  }
  return out;
}

StepOutcome step_final_lock(DeviceContext& ctx) {
  const auto& security = ctx.station.profile.security;
  StepOutcome out;
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const std::string serial = device_serial(ctx);
  const bool locked_before = device_session(ctx).chip().secure_download_mode;
  if (locked_before) {
    out.details["note"] = "already in effect (burned before the station stopped)";
  } else {
    const auto& planned = ctx.input<SecurityPlan>();
    if (!planned.plan)
      throw InternalError("station.no_plan", "the eFuse plan of this device is missing",
                          "a bug: plan-security must produce a plan before this step runs");
    // The ROM loader checks DIS_DOWNLOAD_MODE / ENABLE_SECURITY_DOWNLOAD after each command: once
    // the lock's READ_CMD has loaded them it refuses register reads (or stops). So the final
    // snapshot is the one the burner read just before plus the fields the lock programmed.
    security::EfuseImage after;
    out.details["blocks"] = execute_plan(ctx, planned, *planned.plan, true, "efuse.final_lock", &after);
    for (const auto& batch : planned.plan->batches) {
      if (batch.after_boot_verified) after = security::with_fields_programmed(after, batch);
    }
    ctx.station.db.store_efuse_snapshot(mac, "final", efuse_to_json(after));
    out.details["security_efuses"] = efuse_security_fields(after);
    if (security.final_lock == security::SecurityProfile::FinalLock::DisableDownload) {
      ctx.release<SecurityPlan>();  // the boot is proven: the host copy of the key goes
      return out;
    }
    ctx.fixture.connect();  // Secure Download Mode takes effect at the reset
  }
  ctx.release<SecurityPlan>();  // the boot is proven: the host copy of the key goes
  const auto& info = device_session(ctx).chip().security;
  if (!info) throw ProtocolError("station.no_security_info", "the ROM did not answer GET_SECURITY_INFO");
  std::vector<std::string> problems;
  if (!security.secure_boot_digests.empty() && !info->secure_boot_enabled()) problems.emplace_back("Secure Boot off");
  if (security.flash_encryption && !info->flash_encryption_enabled()) problems.emplace_back("flash encryption off");
  if (security.final_lock == security::SecurityProfile::FinalLock::SecureDownload && !info->secure_download_enabled()) {
    problems.emplace_back("secure download mode off");
  }
  nlohmann::json flags = nlohmann::json::array();
  bool jtag_off = false;
  for (const auto name : info->flag_names()) {
    flags.push_back(std::string(name));
    if (name == "SOFT_DIS_JTAG" || name == "HARD_DIS_JTAG") jtag_off = true;
  }
  if (security.disable_jtag && !jtag_off) problems.emplace_back("JTAG not disabled");
  out.details["security_info_flags"] = flags;
  if (!problems.empty()) {
    out.verdict = StepVerdict::Stop;
    out.reason = "after the final lock the ROM reports: " + join(problems);
    return out;
  }
  if (locked_before) {
    // The lock burned, and the run that burned it never heard so: its intents are closed by what
    // the ROM reports now (every earlier batch was burned before the boot was verified).
    for (const auto& [block, hash] : open_burn_intents(ctx, mac)) {
      ctx.station.audit.append(
          {"efuse.burn.reconciled",
           mac,
           serial,
           {{"intent", hash},
            {"block", block},
            {"found",
             "burned before the station stopped: the ROM now reports the final lock and every security "
             "flag the profile asks for"}}});
    }
  }
  return out;
}

}  // namespace espfab::station
