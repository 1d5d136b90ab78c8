#include "image/idf_build.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::image {
namespace {

// flasher_args.json's top-level keys that are not flash files.
const std::set<std::string> kNotFlashFiles{"write_flash_args", "flash_settings", "flash_files", "extra_esptool_args",
                                           "security"};

[[noreturn]] void bad_entry(const std::filesystem::path& file, const std::string& key, const std::string& problem) {
  throw BadInputError("idf_build.bad_entry", fmt::format("{}: '{}' {}", file.string(), key, problem),
                      "rebuild with `idf.py build`; espfab reads the files ESP-IDF v5 writes");
}

nlohmann::json read_json(const std::filesystem::path& path) {
  const std::string text = read_text_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw BadInputError("idf_build.bad_json", fmt::format("{} is not valid JSON: {}", path.string(), e.what()),
                        "rebuild with `idf.py build`, or restore the file");
  }
}

std::string string_at(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::uint32_t parse_offset(const std::filesystem::path& file, const std::string& key, const std::string& text) {
  std::size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value > 0xFFFFFFFFul) {
    bad_entry(file, key, fmt::format("has offset '{}', not a number", text));
  }
  return static_cast<std::uint32_t>(value);
}

IdfFlashFile flash_file(const std::filesystem::path& args_file, const std::filesystem::path& dir,
                        const std::string& name, const nlohmann::json& entry) {
  if (!entry.is_object()) bad_entry(args_file, name, "is not an object {offset, file, encrypted}");
  IdfFlashFile out;
  out.name = name;
  out.offset = parse_offset(args_file, name, string_at(entry, "offset"));
  const std::string file = string_at(entry, "file");
  if (file.empty()) bad_entry(args_file, name, "names no file");
  out.file = dir / file;
  if (!std::filesystem::is_regular_file(out.file)) {
    bad_entry(args_file, name, fmt::format("names {}, which does not exist", out.file.string()));
  }
  const auto encrypted = entry.find("encrypted");
  if (encrypted != entry.end()) {
    // ESP-IDF writes the flag as a string; accept a JSON bool too.
    if (encrypted->is_boolean()) {
      out.encrypted = encrypted->get<bool>();
    } else if (encrypted->is_string() && (*encrypted == "true" || *encrypted == "false")) {
      out.encrypted = *encrypted == "true";
    } else {
      bad_entry(args_file, name, "has an 'encrypted' that is neither \"true\" nor \"false\"");
    }
  }
  return out;
}

std::map<std::string, SdkconfigValue> read_sdkconfig(const std::filesystem::path& path) {
  std::map<std::string, SdkconfigValue> out;
  if (!std::filesystem::exists(path)) return out;
  const auto json = read_json(path);
  if (!json.is_object()) bad_entry(path, "(top level)", "is not an object");
  for (const auto& [key, value] : json.items()) {
    if (value.is_boolean()) out[key] = value.get<bool>();
    if (value.is_number_integer()) out[key] = value.get<std::int64_t>();
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

}  // namespace

std::optional<bool> IdfBuild::flag(const std::string& key) const {
  const auto found = sdkconfig.find(key);
  if (found == sdkconfig.end() || !std::holds_alternative<bool>(found->second)) return std::nullopt;
  return std::get<bool>(found->second);
}

std::optional<std::int64_t> IdfBuild::number(const std::string& key) const {
  const auto found = sdkconfig.find(key);
  if (found == sdkconfig.end() || !std::holds_alternative<std::int64_t>(found->second)) return std::nullopt;
  return std::get<std::int64_t>(found->second);
}

std::optional<std::string> IdfBuild::text(const std::string& key) const {
  const auto found = sdkconfig.find(key);
  if (found == sdkconfig.end() || !std::holds_alternative<std::string>(found->second)) return std::nullopt;
  return std::get<std::string>(found->second);
}

IdfBuild read_idf_build(const std::filesystem::path& dir) {
  const auto args_file = dir / "flasher_args.json";
  if (!std::filesystem::is_regular_file(args_file)) {
    throw BadInputError("idf_build.missing_file",
                        fmt::format("{} has no flasher_args.json: not an ESP-IDF build directory", dir.string()),
                        "name the project's build directory (the one `idf.py build` fills), after a successful build");
  }
  IdfBuild build;
  build.dir = dir;
  const auto args = read_json(args_file);
  if (!args.is_object()) bad_entry(args_file, "(top level)", "is not an object");
  if (const auto settings = args.find("flash_settings"); settings != args.end() && settings->is_object()) {
    build.flash_mode = string_at(*settings, "flash_mode");
    build.flash_freq = string_at(*settings, "flash_freq");
    build.flash_size = string_at(*settings, "flash_size");
  }
  if (const auto extra = args.find("extra_esptool_args"); extra != args.end() && extra->is_object()) {
    build.chip = string_at(*extra, "chip");
  }
  std::set<std::uint32_t> named_offsets;
  for (const auto& [key, value] : args.items()) {
    if (kNotFlashFiles.count(key) > 0) continue;
    auto file = flash_file(args_file, dir, key, value);
    named_offsets.insert(file.offset);
    if (key == "bootloader") {
      build.bootloader = std::move(file);
    } else if (key == "partition-table") {
      build.partition_table = std::move(file);
    } else if (key == "app") {
      build.app = std::move(file);
    } else if (key == "otadata") {
      build.otadata = std::move(file);
    } else {
      build.data.push_back(std::move(file));
    }
  }
  // flash_files lists everything `idf.py flash` writes; an entry no named object describes is data.
  if (const auto files = args.find("flash_files"); files != args.end() && files->is_object()) {
    for (const auto& [offset_text, file] : files->items()) {
      const auto offset = parse_offset(args_file, offset_text, offset_text);
      if (named_offsets.count(offset) > 0) continue;
      if (!file.is_string()) bad_entry(args_file, offset_text, "in flash_files is not a file name");
      IdfFlashFile entry{.name = "", .offset = offset, .file = dir / file.get<std::string>(), .encrypted = false};
      if (!std::filesystem::is_regular_file(entry.file)) {
        bad_entry(args_file, offset_text, fmt::format("names {}, which does not exist", entry.file.string()));
      }
      build.data.push_back(std::move(entry));
    }
  }
  if (const auto description = dir / "project_description.json"; std::filesystem::exists(description)) {
    const auto json = read_json(description);
    build.project_name = string_at(json, "project_name");
    build.project_version = string_at(json, "project_version");
    if (build.chip.empty()) build.chip = string_at(json, "target");
  }
  build.sdkconfig = read_sdkconfig(dir / "config" / "sdkconfig.json");
  if (build.chip.empty()) {
    if (const auto target = build.text("IDF_TARGET")) build.chip = *target;
  }
  return build;
}

}  // namespace espfab::image
