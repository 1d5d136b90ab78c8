// Registration by manifest: one entry per device (id, MAC, certificate fingerprint, certificate
// PEM) appended to a file for a cloud IoT registry's bulk import. JSON lines or CSV (RFC 4180,
// the PEM quoted). Idempotent: a device already in the file with the same certificate is not
// written again; another certificate under the same id is a conflict. Appends are fsync'ed.
#pragma once

#include <filesystem>
#include <mutex>

#include "registry/registrar.hpp"

namespace espfab::registry {

enum class ManifestFormat { JsonLines, Csv };

// "jsonl" or "csv"; BadInputError otherwise.
ManifestFormat parse_manifest_format(const std::string& name);

class ManifestRegistrar final : public Registrar {
 public:
  ManifestRegistrar(std::filesystem::path file, ManifestFormat format);

  std::string register_device(const DeviceRegistration& device) override;
  // A manifest is an export: removing a device happens in the registry that imported it.
  std::string deregister_device(const std::string& id) override;
  std::string describe() const override;

 private:
  std::filesystem::path file_;
  ManifestFormat format_;
  std::mutex mutex_;
};

}  // namespace espfab::registry
