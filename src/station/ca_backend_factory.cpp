#include "station/ca_backend_factory.hpp"

#include "pki/cmp_ca.hpp"
#include "pki/local_ca.hpp"
#include "pki/pkcs11_ca.hpp"

namespace espfab::station {

std::unique_ptr<pki::CaBackend> make_ca_backend(const StationProfile& profile) {
  switch (profile.ca_backend) {
    case StationProfile::CaBackendKind::Pkcs11:
      return std::make_unique<pki::Pkcs11Ca>(pki::Pkcs11Ca::open(profile.pkcs11));
    case StationProfile::CaBackendKind::Cmp: return std::make_unique<pki::CmpCa>(profile.cmp);
    case StationProfile::CaBackendKind::Local: break;
  }
  return std::make_unique<pki::LocalCa>(pki::LocalCa::open(profile.ca_dir));
}

}  // namespace espfab::station
