/* The production firmware's identity line (docs/firmware-contract.md, "The identity line"):
 *
 *   I (<ms>) espfab_identity: serial=<serial> cert_sha256=<64 hex> flash_encryption=on|off secure_boot=on|off
 *
 * This core makes the message after the log tag from the device certificate (PEM or DER): the
 * SHA-256 of the certificate's DER in lowercase hex, and the serial (the subject CN unless one is
 * given). The ESP-IDF glue logs it with ESP_LOGI(ESPFAB_IDENTITY_LOG_TAG, ...). Portable C11. */
#ifndef ESPFAB_IDENTITY_LINE_H
#define ESPFAB_IDENTITY_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The log tag the station's verify-boot step and preflight look for. */
#define ESPFAB_IDENTITY_LOG_TAG "espfab_identity"
/* A serial is 1..64 printable ASCII characters without space (the station reads up to a space). */
#define ESPFAB_IDENTITY_MAX_SERIAL 64
/* Room for the message: serial=64 cert_sha256=64 flash_encryption=off secure_boot=off, NUL. */
#define ESPFAB_IDENTITY_MESSAGE_MAX 192

typedef enum {
  ESPFAB_IDENTITY_OK = 0,
  ESPFAB_IDENTITY_NO_CERTIFICATE,  /* empty, or no PEM certificate block */
  ESPFAB_IDENTITY_BAD_CERTIFICATE, /* malformed base64, or DER that is not a certificate */
  ESPFAB_IDENTITY_NO_CN,           /* no serial given and the subject has no CN */
  ESPFAB_IDENTITY_BAD_SERIAL,      /* empty, too long, or a space or non-printable character */
  ESPFAB_IDENTITY_NO_ROOM          /* the work or output buffer is too small */
} espfab_identity_status;

typedef struct {
  bool flash_encryption; /* esp_flash_encryption_enabled() */
  bool secure_boot;      /* esp_secure_boot_enabled() */
} espfab_identity_security;

/* The message for `cert` (PEM text, or DER starting with a SEQUENCE tag 0x30) into out (at least
 * ESPFAB_IDENTITY_MESSAGE_MAX bytes, NUL-terminated). `serial` NULL: the subject CN. `work` holds
 * the DER of a PEM certificate (cert_len bytes are always enough); unused for DER. */
espfab_identity_status espfab_identity_message(const uint8_t* cert, size_t cert_len, const char* serial,
                                               espfab_identity_security security, uint8_t* work, size_t work_len,
                                               char* out, size_t out_len);

/* ESPFAB_IDENTITY_LOG_TAG as data of this library, so an image that links it carries the tag. */
extern const char espfab_identity_log_tag[];

/* "no PEM or DER certificate", ... for a log line. */
const char* espfab_identity_status_text(espfab_identity_status status);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_IDENTITY_LINE_H */
