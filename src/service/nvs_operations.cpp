#include "service/nvs_operations.hpp"

#include <string_view>

#include "image/nvs_csv.hpp"
#include "image/nvs_keys.hpp"
#include "image/nvs_writer.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::service {
namespace {

image::NvsKeys load_keys(const std::filesystem::path& path) {
  const SecretBytes file(read_file(path));
  try {
    return image::read_nvs_keys_partition(file.view());
  } catch (Error& error) {
    error.with_context("reading NVS keys " + path.string());
    throw;
  }
}

bool looks_secret(ByteView data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("PRIVATE KEY") != std::string_view::npos;
}

NvsValueSummary summarize(const image::NvsValue& value, bool show_values) {
  const auto type = static_cast<std::uint8_t>(value.type);
  NvsValueSummary summary;
  summary.namespace_name = value.namespace_name;
  summary.namespace_index = value.namespace_index;
  summary.key = value.key;
  summary.type = value.type == image::NvsType::BlobIndex ? "blob" : std::string(*image::nvs_type_name(type));
  summary.page = value.page;
  summary.slot = value.slot;
  summary.crc_valid = value.crc_valid;
  if (image::nvs_type_is_integer(type)) {
    if (image::nvs_integer_is_signed(type)) {
      summary.signed_value = value.as_signed();
    } else {
      summary.unsigned_value = value.integer_bits;
    }
    return summary;
  }
  const ByteView data = value.data.view();
  summary.size = data.size();
  summary.sha256 = to_hex(crypto::sha256(data));
  if (value.type == image::NvsType::String) {
    summary.redacted = !show_values && looks_secret(data);
    summary.text = summary.redacted ? value.data.redacted() : std::string(data.begin(), data.end());
  } else if (show_values) {
    summary.hex = to_hex(data);
  }
  return summary;
}

}  // namespace

NvsGenerateResult generate_nvs_partition(const NvsGenerateRequest& request) {
  std::optional<image::NvsKeys> keys;
  if (!request.keyfile.empty()) keys.emplace(load_keys(request.keyfile));

  const std::string text = read_text_file(request.csv);
  image::NvsBuildResult built;
  try {
    // `file` rows are read relative to the current directory, as nvs_partition_gen.py does.
    const auto items = image::parse_nvs_csv(text, [](const std::string& path) { return read_file(path); });
    built =
        image::build_nvs_partition(items, request.size, {.version = request.version, .keys = keys ? &*keys : nullptr});
  } catch (Error& error) {
    error.with_context("building the NVS partition from " + request.csv.string());
    throw;
  }
  // A plain partition may hold secrets the CSV put there: readable by its owner only.
  write_file_atomic(request.output, built.partition, 0600);
  return {.size = built.partition.size(),
          .pages_used = built.pages_used,
          .encrypted = keys.has_value(),
          .warnings = std::move(built.warnings)};
}

NvsKeygenResult generate_nvs_keys(const NvsKeygenRequest& request) {
  std::optional<image::NvsKeys> keys;
  if (request.hmac_key.empty()) {
    keys.emplace(image::NvsKeys::generate());
  } else {
    const SecretBytes hmac_key(read_file(request.hmac_key));
    keys.emplace(image::NvsKeys::from_hmac_key(hmac_key.view()));
  }
  const SecretBytes partition = image::build_nvs_keys_partition(*keys);
  write_file_atomic(request.output, partition.view(), 0600);
  return {.size = partition.size(), .derived_from_hmac_key = !request.hmac_key.empty()};
}

NvsInfoResult inspect_nvs_partition(const NvsInfoRequest& request) {
  const Bytes file = read_file(request.input);
  std::optional<image::NvsKeys> keys;
  if (!request.keyfile.empty()) keys.emplace(load_keys(request.keyfile));
  image::NvsPartitionContents contents;
  try {
    contents = image::read_nvs_partition(file, keys ? &*keys : nullptr);
  } catch (Error& error) {
    error.with_context("reading NVS partition " + request.input.string());
    throw;
  }
  NvsInfoResult result;
  result.size = file.size();
  result.decrypted = keys.has_value();
  result.pages = std::move(contents.pages);
  result.namespaces = std::move(contents.namespaces);
  result.values.reserve(contents.values.size());
  for (const auto& value : contents.values) result.values.push_back(summarize(value, request.show_values));
  result.problems = std::move(contents.problems);
  return result;
}

}  // namespace espfab::service
