#include "security/burn_plan_json.hpp"

#include <fmt/format.h>

#include "chip/esp32s3_efuse.hpp"
#include "security/key_purpose.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

namespace efuse = chip::esp32s3_efuse;

constexpr unsigned kKeyBlocks = 6;  // BLOCK_KEY0 .. BLOCK_KEY5

BadInputError bad_value(const std::string& what) {
  return BadInputError("security.plan_json", what, "make the plan again with `espfab efuse plan --out PLAN.json`");
}

nlohmann::json key_block_json(const KeyBlockWrite& write) {
  return {{"key_block", write.key_block},
          {"block", efuse::kBlocks[efuse::kBlockKey0 + write.key_block].name},
          {"purpose", key_purpose_name(static_cast<std::uint32_t>(write.purpose))},
          {"source", key_source_name(write.source)},
          {"key_half", write.key_half},
          {"digest", write.source == KeySource::PublicDigest ? to_hex(write.digest) : std::string()},
          {"read_protect", write.read_protect},
          {"write_protect", write.write_protect}};
}

KeyBlockWrite key_block_from_json(const nlohmann::json& json) {
  KeyBlockWrite write;
  write.key_block = json.at("key_block").get<unsigned>();
  if (write.key_block >= kKeyBlocks) throw bad_value(fmt::format("key block {} does not exist", write.key_block));
  const auto purpose_name = json.at("purpose").get<std::string>();
  const auto purpose = key_purpose_by_name(purpose_name);
  if (!purpose) throw bad_value(fmt::format("'{}' is not a key purpose", purpose_name));
  write.purpose = purpose->purpose;
  const auto source_name = json.at("source").get<std::string>();
  const auto source = key_source_by_name(source_name);
  if (!source) throw bad_value(fmt::format("key source '{}' names nothing", source_name));
  write.source = *source;
  write.key_half = json.at("key_half").get<unsigned>();
  const auto digest = json.at("digest").get<std::string>();
  try {
    write.digest = from_hex(digest);
  } catch (const Error&) {
    throw bad_value(fmt::format("digest '{}' is not hex", digest));
  }
  write.read_protect = json.at("read_protect").get<bool>();
  write.write_protect = json.at("write_protect").get<bool>();
  return write;
}

}  // namespace

std::string_view key_source_name(KeySource source) {
  switch (source) {
    case KeySource::DeviceFlashEncryptionKey: return "device_flash_encryption_key";
    case KeySource::PublicDigest: return "public_digest";
    case KeySource::SecretKey: return "secret_key";
  }
  return "";
}

std::optional<KeySource> key_source_by_name(std::string_view name) {
  for (const auto source : {KeySource::DeviceFlashEncryptionKey, KeySource::PublicDigest, KeySource::SecretKey})
    if (key_source_name(source) == name) return source;
  return std::nullopt;
}

nlohmann::json burn_plan_to_json(const BurnPlan& plan) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& batch : plan.batches) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& write : batch.key_blocks) keys.push_back(key_block_json(write));
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& write : batch.fields)
      fields.push_back({{"field", write.field}, {"value", write.value}, {"why", write.why}});
    batches.push_back({{"name", batch.name},
                       {"after_boot_verified", batch.after_boot_verified},
                       {"key_blocks", keys},
                       {"fields", fields}});
  }
  return {{"batches", batches}, {"already_done", plan.skipped}};
}

BurnPlan burn_plan_from_json(const nlohmann::json& json) {
  BurnPlan plan;
  for (const auto& batch_json : json.at("batches")) {
    BurnBatch batch;
    batch.name = batch_json.at("name").get<std::string>();
    batch.after_boot_verified = batch_json.at("after_boot_verified").get<bool>();
    for (const auto& key : batch_json.at("key_blocks")) batch.key_blocks.push_back(key_block_from_json(key));
    for (const auto& field : batch_json.at("fields")) {
      batch.fields.push_back({field.at("field").get<std::string>(), field.at("value").get<std::uint64_t>(),
                              field.at("why").get<std::string>()});
    }
    plan.batches.push_back(std::move(batch));
  }
  plan.skipped = json.at("already_done").get<std::vector<std::string>>();
  return plan;
}

}  // namespace espfab::security
