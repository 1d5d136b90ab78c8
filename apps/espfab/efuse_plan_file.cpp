#include "efuse_plan_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "chip/esp32s3_efuse.hpp"
#include "cli_support.hpp"
#include "efuse_burn_job.hpp"
#include "security/key_purpose.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {

namespace efuse = chip::esp32s3_efuse;

namespace {

constexpr const char* kPlanHint = "make one with `espfab efuse plan --port URL ... --out PLAN.json`";

security::KeySource parse_source(const std::string& text) {
  if (text == "device_flash_encryption_key") return security::KeySource::DeviceFlashEncryptionKey;
  if (text == "public_digest") return security::KeySource::PublicDigest;
  throw BadInputError("cli.plan_format",
                      fmt::format("key source '{}' is neither device_flash_encryption_key nor public_digest", text),
                      kPlanHint);
}

Bytes parse_digest(const std::string& hex) {
  try {
    return from_hex(hex);
  } catch (Error& e) {
    e.with_context(fmt::format("reading digest '{}'", hex));
    throw;
  }
}

// Throws nlohmann::json::exception or espfab::Error for anything that does not fit.
PlanFile parse_plan(const nlohmann::json& json) {
  PlanFile file;
  if (json.at("format") != kPlanFormat || json.at("chip") != "ESP32-S3") {
    throw BadInputError("cli.plan_format", fmt::format("it is not an {} for ESP32-S3", kPlanFormat), kPlanHint);
  }
  const auto& blocks = json.at("planned_from");
  for (unsigned b = 0; b < efuse::kBlockCount; ++b)
    file.planned_from.block(b) = blocks.at(b).get<security::BlockWords>();
  for (const auto& batch_json : json.at("batches")) {
    security::BurnBatch batch;
    batch.name = batch_json.at("name").get<std::string>();
    batch.after_boot_verified = batch_json.at("after_boot_verified").get<bool>();
    for (const auto& k : batch_json.at("key_blocks")) {
      security::KeyBlockWrite write;
      write.key_block = k.at("key_block").get<unsigned>();
      write.purpose = parse_purpose(k.at("purpose").get<std::string>());
      write.source = parse_source(k.at("source").get<std::string>());
      write.key_half = k.at("key_half").get<unsigned>();
      write.digest = parse_digest(k.at("digest").get<std::string>());
      write.read_protect = k.at("read_protect").get<bool>();
      write.write_protect = k.at("write_protect").get<bool>();
      batch.key_blocks.push_back(std::move(write));
    }
    for (const auto& f : batch_json.at("fields")) {
      batch.fields.push_back(
          {f.at("field").get<std::string>(), f.at("value").get<std::uint64_t>(), f.at("why").get<std::string>()});
    }
    file.plan.batches.push_back(std::move(batch));
  }
  file.plan.skipped = json.at("already_done").get<std::vector<std::string>>();
  return file;
}

}  // namespace

nlohmann::json plan_file_json(const security::BurnPlan& plan, const security::EfuseImage& from) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& batch : plan.batches) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& write : batch.key_blocks) {
      if (write.source == security::KeySource::SecretKey) {
        throw BadInputError("cli.plan_with_secret_key", "a plan file cannot carry a secret key",
                            "burn keys from files with `espfab efuse burn-key` directly");
      }
      keys.push_back(
          {{"key_block", write.key_block},
           {"purpose", security::key_purpose_name(static_cast<std::uint32_t>(write.purpose))},
           {"source", write.source == security::KeySource::DeviceFlashEncryptionKey ? "device_flash_encryption_key"
                                                                                    : "public_digest"},
           {"key_half", write.key_half},
           {"digest", fmt::format("{:02x}", fmt::join(write.digest, ""))},
           {"read_protect", write.read_protect},
           {"write_protect", write.write_protect}});
    }
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& write : batch.fields) {
      fields.push_back({{"field", write.field}, {"value", write.value}, {"why", write.why}});
    }
    batches.push_back({{"name", batch.name},
                       {"after_boot_verified", batch.after_boot_verified},
                       {"key_blocks", keys},
                       {"fields", fields}});
  }
  nlohmann::json blocks = nlohmann::json::array();
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) blocks.push_back(from.block(b));
  return {{"format", kPlanFormat},
          {"chip", "ESP32-S3"},
          {"planned_from", blocks},
          {"batches", batches},
          {"already_done", plan.skipped}};
}

PlanFile load_plan_file(const std::string& path) {
  const std::string text = read_text_file(path);
  const auto bad = [&](const std::string& what) {
    return BadInputError("cli.plan_format", fmt::format("{} is not a valid eFuse plan: {}", path, what), kPlanHint);
  };
  try {
    return parse_plan(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  } catch (const Error& e) {
    throw bad(e.describe());
  }
}

}  // namespace espfab::cli
