/* The subject common name (CN, OID 2.5.4.3) of a DER X.509 certificate, found by walking the
 * DER: Certificate -> tbsCertificate -> [version] serial signature issuer validity subject. Only
 * lengths and tags are checked; nothing is verified. Portable C11. */
#ifndef ESPFAB_IDENTITY_X509_CN_H
#define ESPFAB_IDENTITY_X509_CN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ESPFAB_X509_CN_FOUND,
  ESPFAB_X509_NO_CN,    /* a certificate whose subject has no CN */
  ESPFAB_X509_MALFORMED /* not the DER of a certificate */
} espfab_x509_cn_result;

/* The first CN of the subject: *cn points into der, *cn_len bytes (the string's content, of any
 * ASN.1 string type). */
espfab_x509_cn_result espfab_x509_subject_cn(const uint8_t* der, size_t der_len, const uint8_t** cn, size_t* cn_len);

/* The length of the certificate's DER (its outer SEQUENCE) at the start of der; 0 when there is
 * none. Bytes after it (a NUL, padding) are not part of the certificate. */
size_t espfab_x509_der_length(const uint8_t* der, size_t der_len);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_IDENTITY_X509_CN_H */
