// Fuzzes the esp_secure_cert TLV reader: any input parses or throws BadInputError, never crashes;
// every record it reports lies inside the input; a partition whose records all check out rebuilds
// byte for byte from its records; the DS reader (DS data/context records) throws or returns
// parameters of the S3's sizes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "chip/esp32s3_ds.hpp"
#include "image/secure_cert_tlv.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab::image;
  const espfab::ByteView bytes(data, size);
  SecureCertPartition parsed;
  try {
    parsed = parse_secure_cert_partition(bytes);
  } catch (const espfab::BadInputError&) {
    return 0;
  }
  if (parsed.end > size) std::abort();
  for (const auto& tlv : parsed.tlvs) {
    if (tlv.offset + tlv.record_size() > parsed.end) std::abort();
    if (secure_cert_value(bytes, tlv).size() != tlv.length) std::abort();
  }
  try {
    (void)read_secure_cert_identity(bytes);
  } catch (const espfab::BadInputError&) {
  }
  try {
    const SecureCertDsIdentity ds = read_secure_cert_ds_identity(bytes);
    if (ds.ciphertext.size() != espfab::chip::esp32s3_ds::kCiphertextSize) std::abort();
  } catch (const espfab::BadInputError&) {
  }
  if (!parsed.valid() || parsed.nonzero_padding || parsed.nonzero_reserved || parsed.end > kSecureCertPartitionSize)
    return 0;
  SecureCertTlvWriter writer;
  for (const auto& tlv : parsed.tlvs) {
    writer.add({.type = tlv.type, .subtype = tlv.subtype, .flags = tlv.flags, .value = secure_cert_value(bytes, tlv)});
  }
  const espfab::SecretBytes again = std::move(writer).finish();
  if (again.size() != parsed.end || !std::equal(again.view().begin(), again.view().end(), bytes.begin())) std::abort();
  return 0;
}
