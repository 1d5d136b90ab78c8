/* The identity line's message: fingerprint, serial check, the exact field order of the contract. */
#include "espfab_identity/identity_line.h"

#include <string.h>

#include "espfab_identity/pem.h"
#include "espfab_identity/sha256.h"
#include "espfab_identity/x509_cn.h"

/* The log tag in the image's read-only data, where the station's preflight looks for it. */
const char espfab_identity_log_tag[] = ESPFAB_IDENTITY_LOG_TAG;

static bool serial_ok(const char* serial, size_t len) {
  if (len == 0 || len > ESPFAB_IDENTITY_MAX_SERIAL) return false;
  for (size_t i = 0; i < len; ++i) {
    if (serial[i] <= ' ' || serial[i] > '~') return false;
  }
  return true;
}

static void append(char* out, size_t* at, const char* text, size_t len) {
  memcpy(out + *at, text, len);
  *at += len;
}

static void append_text(char* out, size_t* at, const char* text) { append(out, at, text, strlen(text)); }

espfab_identity_status espfab_identity_message(const uint8_t* cert, size_t cert_len, const char* serial,
                                               espfab_identity_security security, uint8_t* work, size_t work_len,
                                               char* out, size_t out_len) {
  if (out_len < ESPFAB_IDENTITY_MESSAGE_MAX) return ESPFAB_IDENTITY_NO_ROOM;
  out[0] = '\0';
  if (cert == NULL || cert_len == 0) return ESPFAB_IDENTITY_NO_CERTIFICATE;
  const uint8_t* der = cert;
  size_t der_len = cert_len;
  if (cert[0] != 0x30) {
    static const char kBegin[] = "-----BEGIN CERTIFICATE-----";
    const char* pem = (const char*)cert;
    bool has_block = false;
    for (size_t i = 0; i + sizeof kBegin - 1 <= cert_len && !has_block; ++i) {
      has_block = memcmp(pem + i, kBegin, sizeof kBegin - 1) == 0;
    }
    if (!has_block) return ESPFAB_IDENTITY_NO_CERTIFICATE;
    if (work == NULL || work_len < cert_len * 3 / 4) return ESPFAB_IDENTITY_NO_ROOM;
    der_len = espfab_pem_certificate_to_der(pem, cert_len, work, work_len);
    if (der_len == 0) return ESPFAB_IDENTITY_BAD_CERTIFICATE;
    der = work;
  }
  der_len = espfab_x509_der_length(der, der_len);
  if (der_len == 0) return ESPFAB_IDENTITY_BAD_CERTIFICATE;
  const uint8_t* cn = NULL;
  size_t cn_len = 0;
  const espfab_x509_cn_result found = espfab_x509_subject_cn(der, der_len, &cn, &cn_len);
  if (found == ESPFAB_X509_MALFORMED) return ESPFAB_IDENTITY_BAD_CERTIFICATE;
  if (serial == NULL && found == ESPFAB_X509_NO_CN) return ESPFAB_IDENTITY_NO_CN;
  const char* name = serial != NULL ? serial : (const char*)cn;
  const size_t name_len = serial != NULL ? strlen(serial) : cn_len;
  if (!serial_ok(name, name_len)) return ESPFAB_IDENTITY_BAD_SERIAL;
  uint8_t digest[ESPFAB_SHA256_SIZE];
  espfab_sha256(der, der_len, digest);
  static const char kHex[] = "0123456789abcdef";
  char hex[2 * ESPFAB_SHA256_SIZE];
  for (size_t i = 0; i < ESPFAB_SHA256_SIZE; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  size_t at = 0;
  append_text(out, &at, "serial=");
  append(out, &at, name, name_len);
  append_text(out, &at, " cert_sha256=");
  append(out, &at, hex, sizeof hex);
  append_text(out, &at, security.flash_encryption ? " flash_encryption=on" : " flash_encryption=off");
  append_text(out, &at, security.secure_boot ? " secure_boot=on" : " secure_boot=off");
  out[at] = '\0';
  return ESPFAB_IDENTITY_OK;
}

const char* espfab_identity_status_text(espfab_identity_status status) {
  switch (status) {
    case ESPFAB_IDENTITY_OK: return "ok";
    case ESPFAB_IDENTITY_NO_CERTIFICATE: return "no PEM or DER certificate";
    case ESPFAB_IDENTITY_BAD_CERTIFICATE: return "the certificate does not parse";
    case ESPFAB_IDENTITY_NO_CN: return "the certificate's subject has no CN";
    case ESPFAB_IDENTITY_BAD_SERIAL: return "the serial is empty, longer than 64 or not printable ASCII without spaces";
    case ESPFAB_IDENTITY_NO_ROOM: return "buffer too small";
  }
  return "unknown";
}
