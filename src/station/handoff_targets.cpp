#include "station/handoff_targets.hpp"

#include <set>

#include "registry/dynsec_registrar.hpp"
#include "registry/manifest_registrar.hpp"

namespace espfab::station {

std::unique_ptr<registry::Registrar> make_registrar(const StationProfile& profile) {
  const auto& spec = profile.registration;
  if (spec.broker) return std::make_unique<registry::DynsecRegistrar>(*spec.broker);
  return std::make_unique<registry::ManifestRegistrar>(spec.manifest, spec.manifest_format);
}

std::unique_ptr<label::LabelSink> make_label_sink(const StationProfile& profile) {
  const auto& spec = profile.label;
  switch (spec.printer) {
    case LabelSpec::Printer::Cups: return std::make_unique<label::CupsLabelSink>(spec.queue, "lp", spec.size);
    case LabelSpec::Printer::RawTcp: return std::make_unique<label::RawTcpLabelSink>(spec.host, spec.port, spec.size);
    case LabelSpec::Printer::Directory: break;
  }
  return std::make_unique<label::DirectoryLabelSink>(
      profile.labels_dir, std::set<label::LabelFormat>(spec.formats.begin(), spec.formats.end()), spec.size);
}

}  // namespace espfab::station
