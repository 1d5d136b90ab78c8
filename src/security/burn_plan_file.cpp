#include "security/burn_plan_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chip/esp32s3_efuse.hpp"
#include "security/burn_plan_json.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::security {
namespace {

namespace efuse = chip::esp32s3_efuse;

// Stable error codes: plan files were first read by the CLI, and scripts match these codes.
constexpr const char* kFormatCode = "cli.plan_format";
constexpr const char* kPlanHint = "make one with `espfab efuse plan --port URL ... --out PLAN.json`";

PlanFile parse_plan_file(const nlohmann::json& json) {
  if (json.at("format") != kPlanFileFormat || json.at("chip") != "ESP32-S3") {
    throw BadInputError(kFormatCode, fmt::format("it is not an {} for ESP32-S3", kPlanFileFormat), kPlanHint);
  }
  PlanFile file;
  const auto& blocks = json.at("planned_from");
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) file.planned_from.block(b) = blocks.at(b).get<BlockWords>();
  file.plan = burn_plan_from_json(json);
  return file;
}

}  // namespace

nlohmann::json plan_file_json(const BurnPlan& plan, const EfuseImage& planned_from) {
  for (const auto& batch : plan.batches) {
    for (const auto& write : batch.key_blocks) {
      if (write.source == KeySource::SecretKey) {
        throw BadInputError("cli.plan_with_secret_key", "a plan file cannot carry a secret key",
                            "burn keys from files with `espfab efuse burn-key` directly");
      }
    }
  }
  nlohmann::json blocks = nlohmann::json::array();
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) blocks.push_back(planned_from.block(b));
  nlohmann::json json = burn_plan_to_json(plan);
  json["format"] = kPlanFileFormat;
  json["chip"] = "ESP32-S3";
  json["planned_from"] = std::move(blocks);
  return json;
}

PlanFile load_plan_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  const auto bad = [&](const std::string& what) {
    return BadInputError(kFormatCode, fmt::format("{} is not a valid eFuse plan: {}", path.string(), what), kPlanHint);
  };
  try {
    return parse_plan_file(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  } catch (const Error& e) {
    throw bad(e.describe());
  }
}

std::optional<FlashEncryptionKey> generate_key_for_plan(const BurnPlan& plan) {
  unsigned halves = 0;
  for (const auto& batch : plan.batches)
    for (const auto& write : batch.key_blocks)
      if (write.source == KeySource::DeviceFlashEncryptionKey) halves = std::max(halves, write.key_half + 1);
  if (halves == 0) return std::nullopt;
  return FlashEncryptionKey::generate(halves == 2 ? XtsKeyLength::Aes256 : XtsKeyLength::Aes128);
}

}  // namespace espfab::security
