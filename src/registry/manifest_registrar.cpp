#include "registry/manifest_registrar.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "registry/certificate_identity.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::registry {
namespace {

std::string csv_field(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The quoted CSV field starting at `pos` (empty when there is none); moves `pos` past its comma.
std::string next_quoted(const std::string& line, std::size_t& pos) {
  if (pos >= line.size() || line[pos] != '"') return {};
  std::string out;
  for (++pos; pos < line.size(); ++pos) {
    if (line[pos] != '"') {
      out += line[pos];
    } else if (pos + 1 < line.size() && line[pos + 1] == '"') {
      out += '"';
      ++pos;
    } else {
      break;
    }
  }
  pos += 2;  // the closing quote and the comma
  return out;
}

// The fingerprint already recorded for `id`, if any.
std::string recorded_fingerprint(const std::filesystem::path& file, ManifestFormat format, const std::string& id) {
  std::string found;
  for_each_line(file, [&](std::string_view line) {
    if (format == ManifestFormat::JsonLines) {
      const auto entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_discarded() || !entry.is_object() || entry.value("id", "") != id) return true;
      found = entry.value("certificate_sha256", "");
      return false;
    }
    // CSV: records start with the quoted id, MAC and fingerprint on one line (the PEM follows).
    const std::string text(line);
    std::size_t pos = 0;
    if (next_quoted(text, pos) != id) return true;
    next_quoted(text, pos);
    found = next_quoted(text, pos);
    return false;
  });
  return found;
}

void append_durably(const std::filesystem::path& file, const std::string& text) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("registry.manifest_open", fmt::format("cannot open the manifest {}", file.string()));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw IoError("registry.manifest_write", fmt::format("cannot append to the manifest {}", file.string()));
}

}  // namespace

ManifestFormat parse_manifest_format(const std::string& name) {
  if (name == "jsonl" || name.empty()) return ManifestFormat::JsonLines;
  if (name == "csv") return ManifestFormat::Csv;
  throw BadInputError("registry.manifest_format", fmt::format("unknown manifest format '{}'", name),
                      "use \"jsonl\" (one JSON object per line) or \"csv\"");
}

ManifestRegistrar::ManifestRegistrar(std::filesystem::path file, ManifestFormat format)
    : file_(std::move(file)), format_(format) {}

std::string ManifestRegistrar::describe() const { return fmt::format("manifest {}", file_.string()); }

std::string ManifestRegistrar::register_device(const DeviceRegistration& device) {
  const auto identity = certificate_identity(device.certificate_pem);
  const std::string id = device.id.empty() ? identity.common_name : device.id;
  check_device_id(id);
  std::lock_guard lock(mutex_);
  const auto recorded = recorded_fingerprint(file_, format_, id);
  if (recorded == identity.sha256) return fmt::format("{} already in {}", id, describe());
  if (!recorded.empty()) {
    throw PolicyRefusalError(
        "registry.conflict",
        fmt::format("{} already lists {} with another certificate (sha256 {})", file_.string(), id, recorded),
        "a re-provisioned device needs its old entry removed from the manifest first");
  }
  const bool fresh = !std::filesystem::exists(file_) || std::filesystem::file_size(file_) == 0;
  std::string text;
  if (format_ == ManifestFormat::JsonLines) {
    text = nlohmann::json{{"id", id},
                          {"mac", device.mac},
                          {"certificate_sha256", identity.sha256},
                          {"certificate_pem", device.certificate_pem}}
               .dump() +
           "\n";
  } else {
    if (fresh) text = "id,mac,certificate_sha256,certificate_pem\r\n";
    text += fmt::format("{},{},{},{}\r\n", csv_field(id), csv_field(device.mac), csv_field(identity.sha256),
                        csv_field(device.certificate_pem));
  }
  append_durably(file_, text);
  return fmt::format("{} added to {}", id, describe());
}

std::string ManifestRegistrar::deregister_device(const std::string& id) {
  throw PolicyRefusalError("registry.manifest_deregister",
                           fmt::format("{} cannot deregister {}: a manifest is an export", describe(), id),
                           "remove the device in the registry that imported the manifest");
}

}  // namespace espfab::registry
