/* The first certificate of a PEM text ("-----BEGIN CERTIFICATE-----" ... "-----END
 * CERTIFICATE-----", base64 with line breaks) as DER. Portable C11. */
#ifndef ESPFAB_IDENTITY_PEM_H
#define ESPFAB_IDENTITY_PEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes into der[0..capacity); returns the DER length, or 0 when there is no certificate block,
 * its base64 is malformed, or it does not fit. DER is at most 3/4 of the PEM's length. */
size_t espfab_pem_certificate_to_der(const char* pem, size_t pem_len, uint8_t* der, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_IDENTITY_PEM_H */
