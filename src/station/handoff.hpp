// The last two steps' interfaces: registering a device with the broker's allowed list and printing
// its label. The file-based implementations here (a JSON-lines manifest for bulk import, a label
// directory) stand in until registry/ and label/ land; the station's outbox retries either.
#pragma once

#include <filesystem>
#include <string>

namespace espfab::station {

struct DeviceHandoff {
  std::string serial;
  std::string mac;
  std::string certificate_pem;
  std::string certificate_sha256;
  std::string provisioned_date;  // YYYY-MM-DD
};

class Registrar {
 public:
  virtual ~Registrar() = default;
  // Idempotent: registering the same device twice is success. Throws on failure (retried later).
  virtual void register_device(const DeviceHandoff& device) = 0;
  virtual std::string describe() const = 0;
};

class LabelPrinter {
 public:
  virtual ~LabelPrinter() = default;
  // Returns where the label went (a file, a printer queue). Throws on failure (retried later).
  virtual std::string print(const DeviceHandoff& device) = 0;
  virtual std::string describe() const = 0;
};

// One JSON line per device: {"id", "mac", "certificate_pem", "certificate_sha256"}.
class ManifestRegistrar final : public Registrar {
 public:
  explicit ManifestRegistrar(std::filesystem::path file) : file_(std::move(file)) {}
  void register_device(const DeviceHandoff& device) override;
  std::string describe() const override { return "manifest " + file_.string(); }

 private:
  std::filesystem::path file_;
};

// <dir>/<serial>.label.json holding the label's fields (the QR rendering comes with label/).
class DirectoryLabelPrinter final : public LabelPrinter {
 public:
  explicit DirectoryLabelPrinter(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::string print(const DeviceHandoff& device) override;
  std::string describe() const override { return "directory " + dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace espfab::station
