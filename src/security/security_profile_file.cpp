#include "security/security_profile_file.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>

#include "image/idf_build.hpp"
#include "security/sbv2_key.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

// Collects every problem with its place in the file.
class Problems {
 public:
  explicit Problems(std::filesystem::path file) : file_(std::move(file)) {}
  void add(const toml::source_region& where, const std::string& what) {
    lines_.push_back(fmt::format("{}:{}:{}: {}", file_.string(), where.begin.line, where.begin.column, what));
  }
  void add(const std::string& what) { lines_.push_back(fmt::format("{}: {}", file_.string(), what)); }
  void throw_if_any() const {
    if (lines_.empty()) return;
    std::string message = fmt::format("{} problem(s) in the station profile:", lines_.size());
    for (const auto& line : lines_) message += "\n  " + line;
    throw BadInputError("security.profile", message,
                        "fix each line above; docs/security.md lists the [security] keys and their values");
  }

 private:
  std::filesystem::path file_;
  std::vector<std::string> lines_;
};

const std::set<std::string> kSecurityKeys{"flash_encryption",
                                          "secure_boot",
                                          "flash_encryption_mode",
                                          "flash_encryption_key_block",
                                          "secure_boot_keys",
                                          "aggressive_revoke",
                                          "revoke_unused_digest_slots",
                                          "jtag",
                                          "usb_only",
                                          "dis_usb_serial_jtag",
                                          "final_lock"};
// Every [images] key of a station profile (station/station_profile.hpp); the ones this reader uses
// are bootloader, production_app and idf_build.
const std::set<std::string> kImageKeys{"bootloader",      "partition_table",   "factory_test_app",
                                       "production_app",  "idf_build",         "factory_test_idf_build",
                                       "production_slot", "factory_test_slot", "data",
                                       "flash_size",      "secure_version"};

template <typename T>
std::optional<T> get(const toml::table& table, const std::string& key, Problems& problems, const char* expected) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  if (auto value = node->value<T>()) return *value;
  problems.add(node->source(), fmt::format("'{}' must be {}", key, expected));
  return std::nullopt;
}

std::optional<std::string> choice(const toml::table& table, const std::string& key,
                                  const std::set<std::string>& allowed, Problems& problems) {
  auto value = get<std::string>(table, key, problems, "a string");
  if (!value) return std::nullopt;
  if (allowed.count(*value) == 0) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    problems.add(table.get(key)->source(), fmt::format("'{}' = \"{}\": expected one of {}", key, *value, list));
    return std::nullopt;
  }
  return value;
}

std::filesystem::path relative_to(const std::filesystem::path& file, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : file.parent_path() / p;
}

// flash_encryption = "xts-128" | "xts-256", or false / "off" to provision without it (explicitly).
void read_flash_encryption(const toml::table& security, Problems& problems, SecurityProfileFile& out) {
  const toml::node* node = security.get("flash_encryption");
  if (node == nullptr) {
    problems.add(
        "[security] says nothing about flash encryption: set flash_encryption = \"xts-256\" (or "
        "\"xts-128\"), or flash_encryption = false to provision without it on purpose");
    return;
  }
  if (const auto on = node->value<bool>()) {
    if (*on) {
      problems.add(node->source(), "flash_encryption = true: say which mode, \"xts-256\" or \"xts-128\"");
    } else {
      out.opt_outs.push_back("flash_encryption = false");
    }
    return;
  }
  if (const auto fe = choice(security, "flash_encryption", {"off", "xts-128", "xts-256"}, problems)) {
    if (*fe == "off") {
      out.opt_outs.push_back("flash_encryption = \"off\"");
    } else {
      out.profile.flash_encryption = *fe == "xts-128" ? XtsKeyLength::Aes128 : XtsKeyLength::Aes256;
    }
  }
}

// secure_boot_keys = [1 to 3 PEM files]; without keys, `secure_boot = false` must say it is meant.
void read_secure_boot_keys(const toml::table& security, const std::filesystem::path& path, Problems& problems,
                           SecurityProfileFile& out) {
  const auto enabled = get<bool>(security, "secure_boot", problems, "true or false");
  const toml::node* keys = security.get("secure_boot_keys");
  const toml::array* list = keys ? keys->as_array() : nullptr;
  if (enabled == false) {
    if (list != nullptr && !list->empty()) {
      problems.add(keys->source(), "secure_boot = false but 'secure_boot_keys' lists keys: remove one of the two");
    }
    out.opt_outs.push_back("secure_boot = false");
    return;
  }
  if (keys == nullptr || (list != nullptr && list->empty())) {
    const std::string what = keys == nullptr ? "[security] has no 'secure_boot_keys'" : "'secure_boot_keys' is empty";
    const std::string fix =
        ": Secure Boot V2 is never turned off by omission; list 1 to 3 RSA-3072 PEM keys, or say "
        "secure_boot = false to provision without it on purpose";
    if (keys == nullptr) {
      problems.add(what + fix);
    } else {
      problems.add(keys->source(), what + fix);
    }
    return;
  }
  if (list == nullptr || list->size() > 3) {
    problems.add(keys->source(), "'secure_boot_keys' must be a list of 1 to 3 PEM file paths");
    return;
  }
  for (const auto& item : *list) {
    const auto file = item.value<std::string>();
    if (!file) {
      problems.add(item.source(), "each secure boot key is a PEM file path (a string)");
      continue;
    }
    const auto key_path = relative_to(path, *file);
    try {
      const auto key = load_sbv2_key_file(key_path, false);
      out.profile.secure_boot_digests.push_back(sbv2_public_key(key.get()).digest());
    } catch (const Error& error) {
      problems.add(item.source(), fmt::format("{}: {}", key_path.string(), error.message()));
    }
  }
}

// The bootloader and app of an ESP-IDF build directory ([images] idf_build) that the profile does
// not name one by one.
void from_idf_build(const std::filesystem::path& path, const toml::table& images, Problems& problems,
                    SecurityProfileFile& out) {
  const auto dir = get<std::string>(images, "idf_build", problems, "a directory path");
  if (!dir) return;
  try {
    const auto build = image::read_idf_build(relative_to(path, *dir));
    if (images.get("bootloader") == nullptr && build.bootloader) out.bootloader = build.bootloader->file;
    if (images.get("production_app") == nullptr && build.app) out.app = build.app->file;
  } catch (const Error& error) {
    problems.add(images.get("idf_build")->source(), error.message());
  }
}

}  // namespace

SecurityProfileFile load_security_profile(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    throw BadInputError("security.profile",
                        fmt::format("{}:{}:{}: {}", path.string(), where.line, where.column, error.description()),
                        "the station profile is TOML; fix the syntax at that place");
  }
  Problems problems(path);
  SecurityProfileFile out;
  SecurityProfile& p = out.profile;
  p.disable_jtag = false;
  p.final_lock = SecurityProfile::FinalLock::None;

  if (const toml::table* security = root["security"].as_table()) {
    for (const auto& [key, node] : *security) {
      if (kSecurityKeys.count(std::string(key.str())) == 0) {
        problems.add(node.source(), fmt::format("unknown key '{}' in [security] (a typo?)", key.str()));
      }
    }
    read_flash_encryption(*security, problems, out);
    if (const auto mode = choice(*security, "flash_encryption_mode", {"release", "development"}, problems)) {
      p.flash_encryption_release = *mode == "release";
    }
    if (const auto block = get<std::int64_t>(*security, "flash_encryption_key_block", problems, "an integer 0-4")) {
      if (*block < 0 || *block > 4) {
        problems.add(security->get("flash_encryption_key_block")->source(),
                     "'flash_encryption_key_block' must be 0-4 (XTS keys never go into BLOCK_KEY5)");
      } else {
        p.flash_encryption_key_block = static_cast<unsigned>(*block);
      }
    }
    read_secure_boot_keys(*security, path, problems, out);
    p.secure_boot_aggressive_revoke =
        get<bool>(*security, "aggressive_revoke", problems, "true or false").value_or(false);
    p.revoke_unused_digest_slots =
        get<bool>(*security, "revoke_unused_digest_slots", problems, "true or false").value_or(true);
    const bool lockdown = p.flash_encryption || !p.secure_boot_digests.empty();
    const auto jtag = choice(*security, "jtag", {"off", "keep"}, problems);
    p.disable_jtag = jtag ? *jtag == "off" : lockdown;
    p.usb_is_only_port = get<bool>(*security, "usb_only", problems, "true or false").value_or(false);
    p.dis_usb_serial_jtag = get<bool>(*security, "dis_usb_serial_jtag", problems, "true or false").value_or(false);
    const auto lock = choice(*security, "final_lock", {"secure-download", "disable-download", "none"}, problems);
    const std::string final_lock = lock ? *lock : (lockdown ? "secure-download" : "none");
    p.final_lock = final_lock == "secure-download"    ? SecurityProfile::FinalLock::SecureDownload
                   : final_lock == "disable-download" ? SecurityProfile::FinalLock::DisableDownload
                                                      : SecurityProfile::FinalLock::None;
  } else {
    problems.add("no [security] section");
  }

  if (const toml::table* images = root["images"].as_table()) {
    for (const auto& [key, node] : *images) {
      if (kImageKeys.count(std::string(key.str())) == 0) {
        problems.add(node.source(), fmt::format("unknown key '{}' in [images] (a typo?)", key.str()));
      }
    }
    auto image = [&](const std::string& key) -> std::optional<std::filesystem::path> {
      const auto file = get<std::string>(*images, key, problems, "a file path");
      if (!file) return std::nullopt;
      const auto full = relative_to(path, *file);
      if (!std::filesystem::is_regular_file(full)) {
        problems.add(images->get(key)->source(), fmt::format("{} does not exist", full.string()));
        return std::nullopt;
      }
      return full;
    };
    out.bootloader = image("bootloader");
    out.app = image("production_app");
    if (images->get("idf_build") != nullptr && (!images->get("bootloader") || !images->get("production_app"))) {
      from_idf_build(path, *images, problems, out);
    }
  }
  problems.throw_if_any();
  return out;
}

}  // namespace espfab::security
