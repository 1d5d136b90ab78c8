#include "loader/stub.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

constexpr std::string_view kOhai = "OHAI";

BadInputError bad_stub(std::string_view source, const std::string& why) {
  return BadInputError("loader.bad_stub", fmt::format("{} is not a usable flasher stub: {}", source, why),
                       "give the esptool stub JSON for ESP32-S3 (esptool/targets/stub_flasher/1/esp32s3.json)");
}

std::uint32_t get_u32(const nlohmann::json& json, const char* key, std::string_view source, bool required) {
  if (!json.contains(key)) {
    if (required) throw bad_stub(source, fmt::format("field '{}' is missing", key));
    return 0;
  }
  const auto& value = json.at(key);
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > 0xFFFFFFFFull) {
    throw bad_stub(source, fmt::format("field '{}' is not a 32-bit address", key));
  }
  return static_cast<std::uint32_t>(value.get<std::uint64_t>());
}

void upload_segment(LoaderClient& client, ByteView segment, std::uint32_t address, std::uint32_t ram_block) {
  if (segment.empty()) return;
  const auto size = static_cast<std::uint32_t>(segment.size());
  const std::uint32_t blocks = (size + ram_block - 1) / ram_block;
  client.command(commands::mem_begin(size, blocks, ram_block, address));
  for (std::uint32_t seq = 0; seq < blocks; ++seq) {
    const std::size_t offset = static_cast<std::size_t>(seq) * ram_block;
    const auto chunk = segment.subspan(offset, std::min<std::size_t>(ram_block, segment.size() - offset));
    client.command(commands::mem_data(chunk, seq), 3);
  }
}

}  // namespace

Bytes decode_base64(std::string_view text) {
  static constexpr auto kTable = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
      table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return table;
  }();
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  bool padding = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const std::int8_t value = kTable[static_cast<unsigned char>(c)];
    if (value < 0 || padding) {
      throw BadInputError("loader.bad_base64", "invalid base64 text", "the stub file is damaged; get it again");
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    if (++count == 4) {
      out.push_back(static_cast<std::uint8_t>(bits >> 16));
      out.push_back(static_cast<std::uint8_t>(bits >> 8));
      out.push_back(static_cast<std::uint8_t>(bits));
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) throw BadInputError("loader.bad_base64", "truncated base64 text", "the stub file is damaged");
  if (count == 2) out.push_back(static_cast<std::uint8_t>(bits >> 4));
  if (count == 3) {
    out.push_back(static_cast<std::uint8_t>(bits >> 10));
    out.push_back(static_cast<std::uint8_t>(bits >> 2));
  }
  return out;
}

StubImage parse_stub_json(std::string_view json, std::string_view source) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw bad_stub(source, std::string("invalid JSON: ") + e.what());
  }
  if (!parsed.is_object()) throw bad_stub(source, "the top level is not an object");
  StubImage stub;
  stub.entry = get_u32(parsed, "entry", source, true);
  if (!parsed.contains("text") || !parsed.at("text").is_string()) throw bad_stub(source, "field 'text' is missing");
  stub.text = decode_base64(parsed.at("text").get<std::string>());
  stub.text_start = get_u32(parsed, "text_start", source, true);
  if (parsed.contains("data")) {
    if (!parsed.at("data").is_string()) throw bad_stub(source, "field 'data' is not a string");
    stub.data = decode_base64(parsed.at("data").get<std::string>());
    stub.data_start = get_u32(parsed, "data_start", source, !stub.data.empty());
  }
  if (stub.text.empty()) throw bad_stub(source, "the text segment is empty");
  if (stub.entry == 0) throw bad_stub(source, "the entry point is 0");
  return stub;
}

StubImage load_stub_file(const std::filesystem::path& path) {
  return parse_stub_json(read_text_file(path), path.string());
}

void run_stub(LoaderClient& client, const StubImage& stub, std::uint32_t ram_block) {
  const auto logger = log::get("loader");
  logger->debug("uploading stub: text {} bytes at 0x{:08x}, data {} bytes at 0x{:08x}, entry 0x{:08x}",
                stub.text.size(), stub.text_start, stub.data.size(), stub.data_start, stub.entry);
  upload_segment(client, stub.text, stub.text_start, ram_block);
  upload_segment(client, stub.data, stub.data_start, ram_block);
  client.command(commands::mem_end(stub.entry));
  const Deadline deadline(kStubStartTimeout);
  while (auto frame = client.read_frame(deadline)) {
    if (frame->size() == kOhai.size() && std::equal(kOhai.begin(), kOhai.end(), frame->begin())) {
      client.set_mode(LoaderMode::Stub);
      logger->debug("stub running");
      return;
    }
  }
  throw ProtocolError("loader.stub_no_ohai", "the flasher stub did not start (no OHAI greeting)",
                      "check that the stub file is the one for ESP32-S3; try without --stub");
}

}  // namespace espfab::loader
