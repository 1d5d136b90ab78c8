#include "image/secure_cert_tlv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "chip/esp32s3_ds.hpp"
#include "util/crc32.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {

namespace {

constexpr std::size_t kMaxValueLength = 0xFFFF;

std::size_t padded(std::size_t length) { return static_cast<std::size_t>(align_up(length, kSecureCertTlvAlignment)); }

// A record value without its terminating NUL (the generator adds one to every file it stores).
ByteView without_nul(ByteView value) {
  if (!value.empty() && value.back() == 0) return value.first(value.size() - 1);
  return value;
}

namespace ds = chip::esp32s3_ds;

bool supported_rsa_bits(unsigned bits) {
  return std::find(ds::kSupportedRsaBits.begin(), ds::kSupportedRsaBits.end(), bits) != ds::kSupportedRsaBits.end();
}

constexpr std::uint8_t kMaxEfuseKeyId = 5;

// Every record's CRC and every integrity record right, or BadInputError naming the first bad one.
void require_intact(const SecureCertPartition& parsed) {
  for (const auto& tlv : parsed.tlvs) {
    if (!tlv.crc_valid() || !tlv.integrity_valid.value_or(true)) {
      throw BadInputError(
          "secure_cert.corrupt",
          fmt::format("the {} record at offset {} is corrupt ({} check failed)", secure_cert_tlv_type_name(tlv.type),
                      hex(tlv.offset), tlv.crc_valid() ? "integrity" : "CRC"),
          "rebuild the partition; flash that was written unencrypted must be read back as is");
    }
  }
}

std::string text_value(ByteView partition, const SecureCertTlv& tlv) {
  const ByteView value = without_nul(secure_cert_value(partition, tlv));
  return {value.begin(), value.end()};
}

}  // namespace

std::string_view secure_cert_tlv_type_name(std::uint8_t type) {
  switch (type) {
    case 0: return "ca_cert";
    case 1: return "dev_cert";
    case 2: return "priv_key";
    case 3: return "ds_data";
    case 4: return "ds_context";
    case 5: return "ecdsa_key_salt";
    case 6: return "sec_cfg";
    case 7: return "tee_sec_storage_key";
    case 8: return "signature_block";
    case 9: return "integrity";
    case 50: return "end";
    case 51: return "user_data_1";
    case 52: return "user_data_2";
    case 53: return "user_data_3";
    case 54: return "user_data_4";
    case 55: return "user_data_5";
    default: return "unknown";
  }
}

std::vector<std::string> secure_cert_flag_names(std::uint8_t flags) {
  std::vector<std::string> names;
  const unsigned key_protection = flags & 0xC0u;
  if (key_protection == kSecureCertFlagHmacEncryptedKey) names.emplace_back("hmac_encrypted_key");
  if (key_protection == kSecureCertFlagHmacDerivedEcdsa) names.emplace_back("hmac_derived_ecdsa_key");
  if (key_protection == 0xC0u) names.emplace_back("0xc0");
  const unsigned peripheral = flags & 0x38u;
  if (peripheral == kSecureCertFlagEcdsaPeripheral) {
    names.emplace_back("ecdsa_peripheral_key");
  } else if (peripheral != 0) {
    names.push_back(fmt::format("0x{:02x}", peripheral));
  }
  if ((flags & 0x07u) != 0) names.push_back(fmt::format("0x{:02x}", flags & 0x07u));
  return names;
}

SecureCertTlvWriter::SecureCertTlvWriter(std::size_t limit) : limit_(limit) { buffer_.reserve(limit_); }

void SecureCertTlvWriter::add(const SecureCertRecord& record) {
  const std::size_t length = record.value.size() + (record.nul_terminated ? 1 : 0);
  const std::string_view name = secure_cert_tlv_type_name(record.type);
  if (length > kMaxValueLength) {
    throw BadInputError("secure_cert.value_too_long",
                        fmt::format("the {} record (type {}) is {} bytes; a TLV value holds at most {}", name,
                                    record.type, length, kMaxValueLength),
                        "store a smaller certificate or key");
  }
  const std::size_t record_size = secure_cert_record_size(length);
  if (buffer_.size() + record_size > limit_) {
    throw BadInputError("secure_cert.too_large",
                        fmt::format("the {} record ({} bytes) does not fit: the partition would be {} bytes, "
                                    "more than its {} bytes",
                                    name, length, buffer_.size() + record_size, limit_),
                        "use shorter certificates (fewer extensions, an EC key) or a shorter chain");
  }
  const std::size_t start = buffer_.size();
  append_le32(buffer_, kSecureCertTlvMagic);
  buffer_.push_back(record.flags);
  buffer_.insert(buffer_.end(), 3, 0x00);
  buffer_.push_back(record.type);
  buffer_.push_back(record.subtype);
  append_le16(buffer_, static_cast<std::uint16_t>(length));
  buffer_.insert(buffer_.end(), record.value.begin(), record.value.end());
  if (record.nul_terminated) buffer_.push_back(0x00);
  buffer_.resize(start + kSecureCertTlvHeaderSize + padded(length), 0x00);
  append_le32(buffer_, crc32_esp(ByteView(buffer_).subspan(start)));
}

void SecureCertTlvWriter::add_integrity() {
  const crypto::Sha256Digest digest = crypto::sha256(buffer_);
  add({.type = static_cast<std::uint8_t>(SecureCertTlvType::Integrity), .value = digest});
}

SecretBytes SecureCertTlvWriter::finish() && { return SecretBytes(std::move(buffer_)); }

namespace {

// The CA certificate (when given) and the device certificate, NUL-terminated as the tool writes them.
void add_certificates(SecureCertTlvWriter& writer, ByteView ca_cert, ByteView device_cert) {
  if (!ca_cert.empty()) {
    writer.add(
        {.type = static_cast<std::uint8_t>(SecureCertTlvType::CaCert), .value = ca_cert, .nul_terminated = true});
  }
  writer.add(
      {.type = static_cast<std::uint8_t>(SecureCertTlvType::DevCert), .value = device_cert, .nul_terminated = true});
}

}  // namespace

SecretBytes build_secure_cert_partition(const SecureCertContents& contents) {
  if (contents.device_cert.empty()) {
    throw BadInputError("secure_cert.no_device_cert", "no device certificate for the esp_secure_cert partition",
                        "give the device certificate (PEM)");
  }
  if (contents.private_key == nullptr || contents.private_key->empty()) {
    throw BadInputError("secure_cert.no_private_key", "no private key for the esp_secure_cert partition",
                        "give the device private key (PEM)");
  }
  // configure_esp_secure_cert.py loads the key and stores it re-encoded as traditional PEM (RSA:
  // PKCS#1, EC: SEC1), whatever form the file had; certificates are stored as given.
  SecretBytes key_pem;
  try {
    const crypto::EvpPkeyPtr key = crypto::load_private_key_pem(*contents.private_key);
    key_pem = crypto::private_key_pem_traditional(key.get());
  } catch (const CryptoError& e) {
    throw BadInputError("secure_cert.bad_private_key", "the private key is not a usable PEM key: " + e.message(),
                        "give an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)");
  }
  SecureCertTlvWriter writer;
  add_certificates(writer, contents.ca_cert, contents.device_cert);
  writer.add(
      {.type = static_cast<std::uint8_t>(SecureCertTlvType::PrivKey), .value = key_pem.view(), .nul_terminated = true});
  if (contents.integrity) writer.add_integrity();
  return std::move(writer).finish();
}

bool SecureCertPartition::valid() const noexcept {
  if (tlvs.empty()) return false;
  return std::all_of(tlvs.begin(), tlvs.end(),
                     [](const SecureCertTlv& tlv) { return tlv.crc_valid() && tlv.integrity_valid.value_or(true); });
}

const SecureCertTlv* SecureCertPartition::find(SecureCertTlvType type, std::uint8_t subtype) const noexcept {
  for (const auto& tlv : tlvs) {
    if (tlv.type == static_cast<std::uint8_t>(type) && tlv.subtype == subtype) return &tlv;
  }
  return nullptr;
}

SecureCertPartition parse_secure_cert_partition(ByteView partition) {
  SecureCertPartition result;
  ByteReader reader(partition, "esp_secure_cert partition");
  while (reader.remaining() >= kSecureCertTlvHeaderSize &&
         load_le32(partition, reader.offset()) == kSecureCertTlvMagic) {
    SecureCertTlv tlv;
    tlv.offset = reader.offset();
    const std::string field = fmt::format("TLV record at offset {}", hex(tlv.offset));
    reader.skip(4, field);
    tlv.flags = reader.u8(field);
    const ByteView reserved = reader.take(3, field + " reserved bytes");
    if (std::any_of(reserved.begin(), reserved.end(), [](std::uint8_t b) { return b != 0; })) {
      result.nonzero_reserved = true;
    }
    tlv.type = reader.u8(field);
    tlv.subtype = reader.u8(field);
    tlv.length = reader.u16(field);
    const ByteView value_and_padding = reader.take(padded(tlv.length), field + " value");
    tlv.stored_crc = reader.u32(field + " CRC");
    tlv.calculated_crc = crc32_esp(partition.subspan(tlv.offset, kSecureCertTlvHeaderSize + padded(tlv.length)));
    const ByteView padding = value_and_padding.subspan(tlv.length);
    if (std::any_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b != 0; })) {
      result.nonzero_padding = true;
    }
    if (tlv.type == static_cast<std::uint8_t>(SecureCertTlvType::Integrity)) {
      const crypto::Sha256Digest digest = crypto::sha256(partition.first(tlv.offset));
      const ByteView stored = value_and_padding.first(tlv.length);
      tlv.integrity_valid = std::equal(stored.begin(), stored.end(), digest.begin(), digest.end());
    }
    result.tlvs.push_back(tlv);
  }
  result.end = reader.offset();
  const ByteView tail = partition.subspan(result.end);
  result.tail_erased = std::all_of(tail.begin(), tail.end(), [](std::uint8_t b) { return b == 0xFF; });
  if (result.tlvs.empty() && !result.tail_erased) {
    throw BadInputError("secure_cert.bad_magic",
                        fmt::format("not an esp_secure_cert TLV partition: it starts with {} instead of the record "
                                    "magic 11 ba 5e ba",
                                    to_hex(partition.first(std::min<std::size_t>(4, partition.size())))),
                        "give an esp_secure_cert partition in TLV format (cust_flash_tlv), as read from flash or "
                        "written by 'espfab secure-cert generate'");
  }
  return result;
}

ByteView secure_cert_value(ByteView partition, const SecureCertTlv& tlv) {
  return partition.subspan(tlv.value_offset(), tlv.length);
}

SecureCertIdentity read_secure_cert_identity(ByteView partition) {
  const SecureCertPartition parsed = parse_secure_cert_partition(partition);
  require_intact(parsed);
  const SecureCertTlv* device = parsed.find(SecureCertTlvType::DevCert);
  const SecureCertTlv* key = parsed.find(SecureCertTlvType::PrivKey);
  if (device == nullptr || key == nullptr) {
    throw BadInputError("secure_cert.incomplete",
                        fmt::format("the partition has no {}",
                                    device == nullptr ? "device certificate (type 1)" : "private key (type 2)"),
                        "build the partition with a device certificate and a plaintext private key");
  }
  SecureCertIdentity identity;
  if (const SecureCertTlv* ca = parsed.find(SecureCertTlvType::CaCert)) identity.ca_cert = text_value(partition, *ca);
  identity.device_cert = text_value(partition, *device);
  identity.private_key = SecretBytes(without_nul(secure_cert_value(partition, *key)));
  identity.private_key_flags = key->flags;
  return identity;
}

Bytes build_secure_cert_partition_ds(const SecureCertDsContents& contents) {
  if (contents.device_cert.empty()) {
    throw BadInputError("secure_cert.no_device_cert", "no device certificate for the esp_secure_cert partition",
                        "give the device certificate (PEM)");
  }
  if (!supported_rsa_bits(contents.rsa_bits)) {
    throw BadInputError(
        "secure_cert.ds_rsa_bits",
        fmt::format("the DS peripheral signs with RSA-1024/2048/3072/4096, not {} bits", contents.rsa_bits),
        "seal an RSA-2048 or RSA-3072 key");
  }
  if (contents.iv.size() != ds::kIvSize || contents.ciphertext.size() != ds::kCiphertextSize) {
    throw BadInputError("secure_cert.ds_params_size",
                        fmt::format("DS parameters are a {}-byte IV and a {}-byte ciphertext, got {} and {}",
                                    ds::kIvSize, ds::kCiphertextSize, contents.iv.size(), contents.ciphertext.size()),
                        "use the parameters security::encrypt_ds_params made for the ESP32-S3");
  }
  if (contents.efuse_key_id > kMaxEfuseKeyId) {
    throw BadInputError(
        "secure_cert.ds_key_id",
        fmt::format("eFuse key id {} does not exist; the key blocks are KEY0..KEY5", contents.efuse_key_id),
        "give the key id (0..5) of the HMAC_DOWN_DIGITAL_SIGNATURE key block");
  }
  Bytes ds_data;
  ds_data.reserve(ds::kDsDataRecordSize);
  append_le32(ds_data, ds::rsa_length_field(contents.rsa_bits));
  ds_data.insert(ds_data.end(), contents.iv.begin(), contents.iv.end());
  ds_data.insert(ds_data.end(), contents.ciphertext.begin(), contents.ciphertext.end());
  Bytes ds_context;
  append_le32(ds_context, 0);
  ds_context.push_back(contents.efuse_key_id);
  ds_context.push_back(0);
  append_le16(ds_context, static_cast<std::uint16_t>(contents.rsa_bits));

  SecureCertTlvWriter writer;
  writer.add({.type = static_cast<std::uint8_t>(SecureCertTlvType::DsData), .value = ds_data});
  writer.add({.type = static_cast<std::uint8_t>(SecureCertTlvType::DsContext), .value = ds_context});
  add_certificates(writer, contents.ca_cert, contents.device_cert);
  if (contents.integrity) writer.add_integrity();
  const SecretBytes built = std::move(writer).finish();
  return {built.view().begin(), built.view().end()};
}

SecureCertDsIdentity read_secure_cert_ds_identity(ByteView partition) {
  const SecureCertPartition parsed = parse_secure_cert_partition(partition);
  require_intact(parsed);
  const SecureCertTlv* device = parsed.find(SecureCertTlvType::DevCert);
  const SecureCertTlv* data = parsed.find(SecureCertTlvType::DsData);
  const SecureCertTlv* context = parsed.find(SecureCertTlvType::DsContext);
  if (device == nullptr || data == nullptr || context == nullptr) {
    throw BadInputError("secure_cert.ds_incomplete",
                        fmt::format("the partition has no {}", device == nullptr ? "device certificate (type 1)"
                                                               : data == nullptr ? "DS data record (type 3)"
                                                                                 : "DS context record (type 4)"),
                        "build the partition with a device certificate and the DS parameters");
  }
  const ByteView data_value = secure_cert_value(partition, *data);
  const ByteView context_value = secure_cert_value(partition, *context);
  if (data_value.size() != ds::kDsDataRecordSize || context_value.size() != ds::kDsContextRecordSize) {
    throw BadInputError(
        "secure_cert.ds_record_size",
        fmt::format("the DS data / context records have {} / {} bytes, an ESP32-S3 needs {} / {}", data_value.size(),
                    context_value.size(), ds::kDsDataRecordSize, ds::kDsContextRecordSize),
        "the partition was made for another chip; rebuild it for the ESP32-S3");
  }
  SecureCertDsIdentity identity;
  identity.efuse_key_id = context_value[4];
  identity.rsa_bits = load_le16(context_value, 6);
  const std::uint32_t length = load_le32(data_value, 0);
  if (!supported_rsa_bits(identity.rsa_bits) || length != ds::rsa_length_field(identity.rsa_bits) ||
      identity.efuse_key_id > kMaxEfuseKeyId) {
    throw BadInputError("secure_cert.ds_inconsistent",
                        fmt::format("the DS records disagree or are out of range: {} bits in the context, length "
                                    "field {} in the data, eFuse key id {}",
                                    identity.rsa_bits, length, identity.efuse_key_id),
                        "rebuild the partition from the DS parameters");
  }
  std::copy_n(data_value.begin() + 4, ds::kIvSize, identity.iv.begin());
  identity.ciphertext.assign(data_value.begin() + 4 + ds::kIvSize, data_value.end());
  if (const SecureCertTlv* ca = parsed.find(SecureCertTlvType::CaCert)) identity.ca_cert = text_value(partition, *ca);
  identity.device_cert = text_value(partition, *device);
  return identity;
}

}  // namespace espfab::image
