/* PEM (RFC 7468) to DER: the base64 between the CERTIFICATE markers, white space skipped. */
#include "espfab_identity/pem.h"

#include <stdbool.h>
#include <string.h>

static const char kBegin[] = "-----BEGIN CERTIFICATE-----";
static const char kEnd[] = "-----END CERTIFICATE-----";

/* The first occurrence of needle in [text, text + len), or NULL. */
static const char* find(const char* text, size_t len, const char* needle) {
  const size_t n = strlen(needle);
  for (size_t i = 0; i + n <= len; ++i) {
    if (memcmp(text + i, needle, n) == 0) return text + i;
  }
  return NULL;
}

static int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

size_t espfab_pem_certificate_to_der(const char* pem, size_t pem_len, uint8_t* der, size_t capacity) {
  const char* begin = find(pem, pem_len, kBegin);
  if (begin == NULL) return 0;
  begin += sizeof kBegin - 1;
  const char* end = find(begin, pem_len - (size_t)(begin - pem), kEnd);
  if (end == NULL) return 0;
  uint32_t bits = 0;
  unsigned nbits = 0;
  size_t out = 0;
  size_t padding = 0;
  size_t symbols = 0;
  for (const char* p = begin; p < end; ++p) {
    if (is_space(*p)) continue;
    if (*p == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    const int value = base64_value(*p);
    if (value < 0 || padding > 0) return 0; /* a symbol after '=' */
    ++symbols;
    bits = (bits << 6) | (uint32_t)value;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      if (out == capacity) return 0;
      der[out++] = (uint8_t)(bits >> nbits);
      bits &= (1u << nbits) - 1u;
    }
  }
  if (symbols % 4 != 0 || padding > 2) return 0;
  return out;
}
