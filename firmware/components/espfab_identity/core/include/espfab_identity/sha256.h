/* SHA-256 (FIPS 180-4) for the identity line's certificate fingerprint. Portable C11; on a
 * device this is a few hundred bytes of code and runs once per boot over one certificate. */
#ifndef ESPFAB_IDENTITY_SHA256_H
#define ESPFAB_IDENTITY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESPFAB_SHA256_SIZE 32

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t block_len;
} espfab_sha256_ctx;

void espfab_sha256_init(espfab_sha256_ctx* ctx);
void espfab_sha256_update(espfab_sha256_ctx* ctx, const uint8_t* data, size_t len);
void espfab_sha256_final(espfab_sha256_ctx* ctx, uint8_t digest[ESPFAB_SHA256_SIZE]);
void espfab_sha256(const uint8_t* data, size_t len, uint8_t digest[ESPFAB_SHA256_SIZE]);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_IDENTITY_SHA256_H */
