/* A bounds-checked DER walk (ITU-T X.690) to the subject's CN. */
#include "espfab_identity/x509_cn.h"

#include <stdbool.h>
#include <string.h>

enum { DER_SEQUENCE = 0x30, DER_SET = 0x31, DER_OID = 0x06, DER_VERSION = 0xA0 };

typedef struct {
  uint8_t tag;
  const uint8_t* value;
  size_t len;
} der_item;

/* The item at [*p, end): tag, definite length (up to 4 length bytes), value. Advances *p past it. */
static bool next_item(const uint8_t** p, const uint8_t* end, der_item* item) {
  const uint8_t* q = *p;
  if (end - q < 2) return false;
  item->tag = *q++;
  if ((item->tag & 0x1F) == 0x1F) return false; /* multi-byte tags: not in a certificate's path */
  size_t len = *q++;
  if (len & 0x80) {
    const size_t n = len & 0x7F;
    if (n == 0 || n > 4 || (size_t)(end - q) < n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | *q++;
  }
  if ((size_t)(end - q) < len) return false;
  item->value = q;
  item->len = len;
  *p = q + len;
  return true;
}

/* The item at [*p, end) if it has `tag`. */
static bool expect(const uint8_t** p, const uint8_t* end, uint8_t tag, der_item* item) {
  return next_item(p, end, item) && item->tag == tag;
}

/* The first CN of a Name (SEQUENCE OF SET OF SEQUENCE { OID, value }). */
static espfab_x509_cn_result name_cn(const der_item* name, const uint8_t** cn, size_t* cn_len) {
  static const uint8_t kCommonName[] = {0x55, 0x04, 0x03};
  const uint8_t* p = name->value;
  const uint8_t* const end = p + name->len;
  der_item rdn;
  while (p < end) {
    if (!expect(&p, end, DER_SET, &rdn)) return ESPFAB_X509_MALFORMED;
    const uint8_t* q = rdn.value;
    const uint8_t* const rdn_end = q + rdn.len;
    der_item attribute;
    while (q < rdn_end) {
      if (!expect(&q, rdn_end, DER_SEQUENCE, &attribute)) return ESPFAB_X509_MALFORMED;
      const uint8_t* a = attribute.value;
      const uint8_t* const attribute_end = a + attribute.len;
      der_item type;
      der_item value;
      if (!expect(&a, attribute_end, DER_OID, &type) || !next_item(&a, attribute_end, &value)) {
        return ESPFAB_X509_MALFORMED;
      }
      if (type.len == sizeof kCommonName && memcmp(type.value, kCommonName, sizeof kCommonName) == 0) {
        *cn = value.value;
        *cn_len = value.len;
        return ESPFAB_X509_CN_FOUND;
      }
    }
  }
  return ESPFAB_X509_NO_CN;
}

espfab_x509_cn_result espfab_x509_subject_cn(const uint8_t* der, size_t der_len, const uint8_t** cn, size_t* cn_len) {
  const uint8_t* p = der;
  const uint8_t* const end = der + der_len;
  der_item certificate;
  der_item tbs;
  if (!expect(&p, end, DER_SEQUENCE, &certificate)) return ESPFAB_X509_MALFORMED;
  p = certificate.value;
  if (!expect(&p, certificate.value + certificate.len, DER_SEQUENCE, &tbs)) return ESPFAB_X509_MALFORMED;
  p = tbs.value;
  const uint8_t* const tbs_end = tbs.value + tbs.len;
  der_item item;
  if (!next_item(&p, tbs_end, &item)) return ESPFAB_X509_MALFORMED;
  if (item.tag == DER_VERSION && !next_item(&p, tbs_end, &item)) return ESPFAB_X509_MALFORMED; /* the serial */
  /* signature, issuer, validity, subject */
  for (int i = 0; i < 4; ++i) {
    if (!expect(&p, tbs_end, DER_SEQUENCE, &item)) return ESPFAB_X509_MALFORMED;
  }
  return name_cn(&item, cn, cn_len);
}

size_t espfab_x509_der_length(const uint8_t* der, size_t der_len) {
  const uint8_t* p = der;
  der_item certificate;
  if (!expect(&p, der + der_len, DER_SEQUENCE, &certificate)) return 0;
  return (size_t)(p - der);
}
