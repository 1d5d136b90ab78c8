#include "station/handoff.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::station {

void ManifestRegistrar::register_device(const DeviceHandoff& device) {
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path());
  const int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw IoError("station.manifest", fmt::format("cannot open the registration manifest {}", file_.string()));
  ::flock(fd, LOCK_EX);
  std::ifstream in(file_);
  std::string line;
  bool present = false;
  while (std::getline(in, line)) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("id", "") == device.serial) {
      present = true;
      if (entry.value("certificate_sha256", "") != device.certificate_sha256) {
        ::close(fd);
        throw PolicyRefusalError(
            "station.manifest_conflict",
            fmt::format("{} is already in {} with another certificate", device.serial, file_.string()),
            "an engineer must decide which certificate is valid");
      }
    }
  }
  if (!present) {
    const std::string text = nlohmann::json{{"id", device.serial},
                                            {"mac", device.mac},
                                            {"certificate_pem", device.certificate_pem},
                                            {"certificate_sha256", device.certificate_sha256}}
                                 .dump() +
                             "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    if (!ok) {
      ::close(fd);
      throw IoError("station.manifest", fmt::format("cannot append to {}", file_.string()));
    }
  }
  ::close(fd);
}

std::string DirectoryLabelPrinter::print(const DeviceHandoff& device) {
  std::filesystem::create_directories(dir_);
  const auto file = dir_ / (device.serial + ".label.json");
  write_text_file_atomic(
      file,
      nlohmann::json{{"serial", device.serial}, {"mac", device.mac}, {"date", device.provisioned_date}}.dump(2) + "\n");
  return file.string();
}

}  // namespace espfab::station
