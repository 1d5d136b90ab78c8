#include "image/identity_partitions.hpp"

#include <vector>

#include "image/nvs_writer.hpp"
#include "image/secure_cert_tlv.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

ByteView as_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

SecretBytes key_pem(const DeviceIdentityMaterial& identity) {
  if (identity.private_key == nullptr) {
    throw BadInputError("identity.no_private_key", "the identity has no private key",
                        "issue the identity (key, CSR, certificate) first");
  }
  return crypto::private_key_pem_traditional(identity.private_key);
}

}  // namespace

SecretBytes build_identity_secure_cert(const DeviceIdentityMaterial& identity) {
  const SecretBytes key = key_pem(identity);
  return build_secure_cert_partition({.ca_cert = as_bytes(identity.ca_cert_pem),
                                      .device_cert = as_bytes(identity.device_cert_pem),
                                      .private_key = &key});
}

Bytes build_identity_nvs(const DeviceIdentityMaterial& identity, const NvsKeys& keys, const IdentityNvsLayout& layout) {
  const SecretBytes key = key_pem(identity);
  std::vector<NvsItem> items;
  items.push_back(NvsItem::make_namespace(layout.namespace_name));
  items.push_back(NvsItem::make_string(layout.device_cert_key, identity.device_cert_pem));
  if (!identity.ca_cert_pem.empty()) items.push_back(NvsItem::make_string(layout.ca_cert_key, identity.ca_cert_pem));
  NvsItem key_item;
  key_item.kind = NvsItem::Kind::String;
  key_item.key = layout.private_key_key;
  key_item.type = NvsType::String;
  key_item.data = key.clone();
  items.push_back(std::move(key_item));
  return build_nvs_partition(items, layout.size, {.version = layout.version, .keys = &keys}).partition;
}

}  // namespace espfab::image
