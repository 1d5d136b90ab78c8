// The company CA a profile's [ca] names: the local CA directory, a PKCS#11 token or a CMP server.
#pragma once

#include <memory>

#include "pki/ca_backend.hpp"
#include "station/station_profile.hpp"

namespace espfab::station {

// Opens it (the token logs in, files are checked); throws what the backend throws.
std::unique_ptr<pki::CaBackend> make_ca_backend(const StationProfile& profile);

}  // namespace espfab::station
