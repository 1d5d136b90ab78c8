// The esp_secure_cert partition in Espressif's TLV format ("cust_flash_tlv", esp_secure_cert_mgr):
// records of a 12-byte header, the value padded with 0x00 to 16 bytes, and a CRC footer; the file
// ends after the last record (docs/idf-flash-formats.md §3). Built in memory: the partition holds
// the device private key, so it is returned as SecretBytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::image {

inline constexpr std::uint32_t kSecureCertTlvMagic = 0xBA5EBA11;
inline constexpr std::size_t kSecureCertTlvHeaderSize = 12;
inline constexpr std::size_t kSecureCertTlvFooterSize = 4;
inline constexpr std::size_t kSecureCertTlvAlignment = 16;  // flash-encryption block size
inline constexpr std::size_t kSecureCertPartitionSize = 0x2000;
inline constexpr std::uint8_t kSecureCertPartitionType = 0x3F;
inline constexpr std::size_t kSecureCertIntegrityLength = 32;  // SHA-256

// Record types ([SC-H] esp_secure_cert_tlv_config.h).
enum class SecureCertTlvType : std::uint8_t {
  CaCert = 0,
  DevCert = 1,
  PrivKey = 2,
  DsData = 3,
  DsContext = 4,
  EcdsaKeySalt = 5,
  SecCfg = 6,
  TeeSecStorageKey = 7,
  SignatureBlock = 8,
  Integrity = 9,
  End = 50,
  UserData1 = 51,
  UserData2 = 52,
  UserData3 = 53,
  UserData4 = 54,
  UserData5 = 55,
};

// "ca_cert", "dev_cert", "priv_key", ..., "user_data_1"; "unknown" for other numbers.
std::string_view secure_cert_tlv_type_name(std::uint8_t type);

// Private key flags (bits 7..6 and 5..3 of the flags byte). 0 = plaintext key.
inline constexpr std::uint8_t kSecureCertFlagHmacEncryptedKey = 0x80;  // bits 7..6 = 10b
inline constexpr std::uint8_t kSecureCertFlagHmacDerivedEcdsa = 0x40;  // bits 7..6 = 01b
inline constexpr std::uint8_t kSecureCertFlagEcdsaPeripheral = 0x08;   // bits 5..3 = 001b

// Names of the flags set ("hmac_encrypted_key", ...; "0xNN" for bits without a name).
std::vector<std::string> secure_cert_flag_names(std::uint8_t flags);

// Bytes one record takes: header + value padded to 16 + footer.
constexpr std::size_t secure_cert_record_size(std::size_t value_length) {
  return kSecureCertTlvHeaderSize +
         (value_length + kSecureCertTlvAlignment - 1) / kSecureCertTlvAlignment * kSecureCertTlvAlignment +
         kSecureCertTlvFooterSize;
}

// One record to write. The value is copied; with nul_terminated one 0x00 is appended to it (the
// generator stores certificates and keys as the file bytes plus a NUL).
struct SecureCertRecord {
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint8_t flags = 0;
  ByteView value{};
  bool nul_terminated = false;
};

// Builds a partition record by record into one buffer reserved up front (no reallocation leaves
// copies of a key behind). Throws BadInputError when a value exceeds 65535 bytes or the partition
// would exceed `limit` bytes.
class SecureCertTlvWriter {
 public:
  explicit SecureCertTlvWriter(std::size_t limit = kSecureCertPartitionSize);

  void add(const SecureCertRecord& record);
  // The integrity record (type 9): SHA-256 of every byte written so far.
  void add_integrity();
  std::size_t size() const noexcept { return buffer_.size(); }
  SecretBytes finish() &&;

 private:
  std::size_t limit_;
  Bytes buffer_;
};

// What the station puts into the partition, in configure_esp_secure_cert.py's order: CA cert,
// device cert, plaintext private key, integrity record. Certificates are stored exactly as given
// (PEM text) plus a NUL; the key is re-encoded as traditional PEM (RSA "RSA PRIVATE KEY", EC
// "EC PRIVATE KEY") plus a NUL, as the generator does. An empty CA certificate is left out.
struct SecureCertContents {
  ByteView ca_cert{};
  ByteView device_cert{};
  const SecretBytes* private_key = nullptr;  // PEM, required
  bool integrity = true;
};

// Byte-identical to configure_esp_secure_cert.py --secure_cert_type cust_flash_tlv for the same
// files. Throws BadInputError on a missing certificate, a key that does not parse, or a partition
// over 8 KiB.
SecretBytes build_secure_cert_partition(const SecureCertContents& contents);

// A DS identity (configure_esp_secure_cert.py --configure_ds --priv_key_algo RSA BITS): the RSA key
// sealed for the Digital Signature peripheral (security::encrypt_ds_params) instead of a
// private-key record. Nothing in it is secret. Sizes: chip/esp32s3_ds.hpp.
struct SecureCertDsContents {
  ByteView ca_cert{};
  ByteView device_cert{};
  unsigned rsa_bits = 0;          // 1024, 2048, 3072 or 4096
  ByteView iv{};                  // 16 bytes
  ByteView ciphertext{};          // chip::esp32s3_ds::kCiphertextSize bytes
  std::uint8_t efuse_key_id = 0;  // the HMAC_DOWN_DIGITAL_SIGNATURE key block: 0..5 = KEY0..KEY5
  bool integrity = true;
};

// Byte-identical to the tool for the same inputs, in its order: DS data (type 3: i32 L = bits/32
// - 1, IV, C), DS context (type 4: u32 0, u8 key id, u8 0, u16 bits), CA cert, device cert,
// integrity. Throws BadInputError on a missing certificate, a wrong IV/ciphertext size, an
// unsupported RSA size, a key id above 5, or a partition over 8 KiB.
Bytes build_secure_cert_partition_ds(const SecureCertDsContents& contents);

// ---- reading ----

struct SecureCertTlv {
  std::size_t offset = 0;  // of the header
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint8_t flags = 0;
  std::uint16_t length = 0;
  std::uint32_t stored_crc = 0;
  std::uint32_t calculated_crc = 0;
  // Integrity records only: whether their value is the SHA-256 of every byte before them.
  std::optional<bool> integrity_valid;

  bool crc_valid() const noexcept { return stored_crc == calculated_crc; }
  std::size_t value_offset() const noexcept { return offset + kSecureCertTlvHeaderSize; }
  std::size_t record_size() const noexcept { return secure_cert_record_size(length); }
};

struct SecureCertPartition {
  std::vector<SecureCertTlv> tlvs;
  std::size_t end = 0;            // offset after the last record
  bool tail_erased = true;        // every byte after `end` is 0xFF (or there are none)
  bool nonzero_padding = false;   // some record's padding is not 0x00
  bool nonzero_reserved = false;  // some record's 3 reserved header bytes are not 0x00 (the CRC covers them)

  // At least one record, every CRC right, every integrity record right.
  bool valid() const noexcept;
  const SecureCertTlv* find(SecureCertTlvType type, std::uint8_t subtype = 0) const noexcept;
};

// Walks the records from offset 0 until a header without the magic (erased flash, 0xFF, or
// anything else). Throws BadInputError when the first bytes are neither a record nor erased, or a
// record runs past the end of the data.
SecureCertPartition parse_secure_cert_partition(ByteView partition);

// The value bytes of a record (without padding).
ByteView secure_cert_value(ByteView partition, const SecureCertTlv& tlv);

// Certificates and key of a partition, without their terminating NUL. Throws BadInputError when a
// record's CRC is wrong or the device certificate or private key is missing.
struct SecureCertIdentity {
  std::string ca_cert;
  std::string device_cert;
  SecretBytes private_key;
  std::uint8_t private_key_flags = 0;
};
SecureCertIdentity read_secure_cert_identity(ByteView partition);

// Certificates and DS parameters of a DS partition. Throws BadInputError when a record is corrupt,
// the device certificate, DS data or DS context is missing, or the two DS records disagree (sizes,
// RSA length).
struct SecureCertDsIdentity {
  std::string ca_cert;
  std::string device_cert;
  unsigned rsa_bits = 0;
  std::array<std::uint8_t, 16> iv{};
  Bytes ciphertext;
  std::uint8_t efuse_key_id = 0;
};
SecureCertDsIdentity read_secure_cert_ds_identity(ByteView partition);

}  // namespace espfab::image
