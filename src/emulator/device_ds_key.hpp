// The production app's TLS key when its esp_secure_cert partition holds a DS identity (station
// profile [identity] container = "ds"): what esp_secure_cert_get_ds_ctx and ESP-TLS's `ds_data`
// give a firmware. The key's private operation runs on the chip's own HMAC and DS peripherals over
// its eFuses; no plaintext private key exists anywhere. The hello runs on a worker thread while the
// chip may be reset, so the key works on its own copy of the eFuse array as the app saw it at start.
#pragma once

#include <openssl/evp.h>

#include <memory>

#include "emulator/ds_peripheral.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/hmac_peripheral.hpp"
#include "image/secure_cert_tlv.hpp"
#include "util/crypto.hpp"

namespace espfab::emulator {

class DeviceDsKey {
 public:
  // Throws CryptoError when the certificate does not parse or its key does not fit the parameters.
  static std::unique_ptr<DeviceDsKey> make(const EfuseController& efuse, const image::SecureCertDsIdentity& identity);

  DeviceDsKey(const DeviceDsKey&) = delete;
  DeviceDsKey& operator=(const DeviceDsKey&) = delete;
  DeviceDsKey(DeviceDsKey&&) = delete;
  DeviceDsKey& operator=(DeviceDsKey&&) = delete;
  ~DeviceDsKey() = default;

  EVP_PKEY* key() const noexcept { return key_.get(); }

 private:
  explicit DeviceDsKey(const EfuseController& efuse) : efuse_(efuse) {}

  EfuseController efuse_;
  HmacPeripheral hmac_{efuse_};
  DsPeripheral ds_{hmac_};
  crypto::EvpPkeyPtr key_;  // declared last: freed before the peripherals it signs with
};

}  // namespace espfab::emulator
