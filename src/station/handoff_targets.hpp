// The registrar and the label printer a profile asks for: Mosquitto Dynamic Security when
// [registration] names a broker, else a manifest file; labels to a directory, a CUPS queue or a
// raw TCP 9100 printer.
#pragma once

#include <memory>

#include "label/label_printer.hpp"
#include "registry/registrar.hpp"
#include "station/station_profile.hpp"

namespace espfab::station {

std::unique_ptr<registry::Registrar> make_registrar(const StationProfile& profile);
std::unique_ptr<label::LabelSink> make_label_sink(const StationProfile& profile);

}  // namespace espfab::station
