/* The JSON reader of ft_json.h. espfab_ft_json_parse checks the whole text once; the accessors
 * then walk the checked text without bounds surprises. What it accepts is what the station's and
 * the emulator's JSON library (nlohmann/json) accepts: the conformance tests compare the two. */
#include "espfab_ft/ft_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64 /* longest key espfab_ft_json_member can look up, with its NUL */

typedef struct {
  char* buf; /* NULL: only check */
  size_t capacity;
  size_t len;
} sink;

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static const char* skip_ws(const char* p, const char* end) {
  while (p < end && is_ws(*p)) ++p;
  return p;
}

static void put(sink* s, unsigned char c) {
  if (s->buf != NULL && s->len < s->capacity) s->buf[s->len] = (char)c;
  ++s->len;
}

static void put_utf8(sink* s, unsigned long cp) {
  if (cp < 0x80) {
    put(s, (unsigned char)cp);
  } else if (cp < 0x800) {
    put(s, (unsigned char)(0xC0 | (cp >> 6)));
    put(s, (unsigned char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    put(s, (unsigned char)(0xE0 | (cp >> 12)));
    put(s, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    put(s, (unsigned char)(0x80 | (cp & 0x3F)));
  } else {
    put(s, (unsigned char)(0xF0 | (cp >> 18)));
    put(s, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
    put(s, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    put(s, (unsigned char)(0x80 | (cp & 0x3F)));
  }
}

/* Four hex digits at p. */
static bool read_hex4(const char* p, const char* end, unsigned long* out) {
  if (end - p < 4) return false;
  unsigned long value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    unsigned long digit = 0;
    if (c >= '0' && c <= '9') {
      digit = (unsigned long)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = (unsigned long)(c - 'a') + 10u;
    } else if (c >= 'A' && c <= 'F') {
      digit = (unsigned long)(c - 'A') + 10u;
    } else {
      return false;
    }
    value = value * 16 + digit;
  }
  *out = value;
  return true;
}

/* Length of the well-formed UTF-8 sequence of two or more bytes at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
  const unsigned c = p[0];
  size_t n = 0;
  unsigned lo = 0x80;
  unsigned hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xED) {
    n = 3;
    hi = 0x9F;
  } else if (c == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return n;
}

/* The escape after a backslash at p (p points at the character after it); returns the last
 * character of the escape, or NULL. */
static const char* scan_escape(const char* p, const char* end, sink* s) {
  switch (*p) {
    case '"': put(s, '"'); return p;
    case '\\': put(s, '\\'); return p;
    case '/': put(s, '/'); return p;
    case 'b': put(s, '\b'); return p;
    case 'f': put(s, '\f'); return p;
    case 'n': put(s, '\n'); return p;
    case 'r': put(s, '\r'); return p;
    case 't': put(s, '\t'); return p;
    case 'u': break;
    default: return NULL;
  }
  unsigned long cp = 0;
  if (!read_hex4(p + 1, end, &cp)) return NULL;
  p += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    unsigned long low = 0;
    if (end - p < 7 || p[1] != '\\' || p[2] != 'u' || !read_hex4(p + 3, end, &low) || low < 0xDC00 || low > 0xDFFF) {
      return NULL;
    }
    p += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return NULL;
  }
  put_utf8(s, cp);
  return p;
}

/* A string at p (on its opening quote); returns the position after the closing quote, or NULL. */
static const char* scan_string(const char* p, const char* end, sink* s) {
  ++p;
  while (p < end) {
    const unsigned char c = (unsigned char)*p;
    if (c == '"') return p + 1;
    if (c < 0x20) return NULL;
    if (c == '\\') {
      if (++p >= end) return NULL;
      p = scan_escape(p, end, s);
      if (p == NULL) return NULL;
      ++p;
    } else if (c < 0x80) {
      put(s, c);
      ++p;
    } else {
      const size_t n = utf8_sequence((const unsigned char*)p, (const unsigned char*)end);
      if (n == 0) return NULL;
      for (size_t i = 0; i < n; ++i) put(s, (unsigned char)p[i]);
      p += n;
    }
  }
  return NULL;
}

/* Digits [begin, end) with an optional leading '-' as an integer; false when out of range. */
static bool parse_integer(const char* begin, const char* end, espfab_ft_json_integer* out) {
  const bool negative = *begin == '-';
  const char* p = negative ? begin + 1 : begin;
  const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : UINT64_MAX;
  uint64_t value = 0;
  for (; p < end; ++p) {
    const uint64_t digit = (uint64_t)(*p - '0');
    if (value > (limit - digit) / 10u) return false;
    value = value * 10u + digit;
  }
  out->negative = negative && value != 0;
  out->magnitude = value;
  return true;
}

/* A number that is not an integer must be a finite double (strtod of the token). */
static bool finite_number(const char* begin, const char* end) {
  char copy[ESPFAB_FT_JSON_MAX_TEXT + 1];
  const size_t n = (size_t)(end - begin);
  memcpy(copy, begin, n);
  copy[n] = '\0';
  return isfinite(strtod(copy, NULL)) != 0;
}

static const char* scan_digits(const char* p, const char* end) {
  while (p < end && is_digit(*p)) ++p;
  return p;
}

/* A number at p; returns the position after it, or NULL. */
static const char* scan_number(const char* p, const char* end) {
  const char* begin = p;
  bool integer = true;
  if (*p == '-') ++p;
  if (p >= end) return NULL;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    p = scan_digits(p, end);
  } else {
    return NULL;
  }
  if (p < end && *p == '.') {
    integer = false;
    ++p;
    if (p >= end || !is_digit(*p)) return NULL;
    p = scan_digits(p, end);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integer = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !is_digit(*p)) return NULL;
    p = scan_digits(p, end);
  }
  espfab_ft_json_integer unused;
  if (integer && parse_integer(begin, p, &unused)) return p;
  return finite_number(begin, p) ? p : NULL;
}

static const char* scan_literal(const char* p, const char* end) {
  static const char* const kLiterals[] = {"true", "false", "null"};
  for (size_t i = 0; i < sizeof kLiterals / sizeof kLiterals[0]; ++i) {
    const size_t n = strlen(kLiterals[i]);
    if ((size_t)(end - p) >= n && memcmp(p, kLiterals[i], n) == 0) return p + n;
  }
  return NULL;
}

/* A member's key and colon at p; returns the start of its value, or NULL. */
static const char* scan_key(const char* p, const char* end) {
  if (p >= end || *p != '"') return NULL;
  sink check = {NULL, 0, 0};
  p = scan_string(p, end, &check);
  if (p == NULL) return NULL;
  p = skip_ws(p, end);
  if (p >= end || *p != ':') return NULL;
  return skip_ws(p + 1, end);
}

/* A scalar value at p; returns the position after it, or NULL. */
static const char* scan_scalar(const char* p, const char* end) {
  sink check = {NULL, 0, 0};
  if (*p == '"') return scan_string(p, end, &check);
  if (*p == '-' || is_digit(*p)) return scan_number(p, end);
  return scan_literal(p, end);
}

bool espfab_ft_json_parse(const char* text, size_t len, espfab_ft_json_value* root) {
  if (text == NULL || len > ESPFAB_FT_JSON_MAX_TEXT) return false;
  const char* p = text;
  const char* const end = text + len;
  if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
  p = skip_ws(p, end);
  const char* const value_begin = p;
  unsigned char is_object[ESPFAB_FT_JSON_MAX_TEXT / 8 + 1] = {0}; /* one bit per open container */
  size_t depth = 0;
  for (;;) {
    /* A value starts at p. */
    if (p >= end) return false;
    if (*p == '{' || *p == '[') {
      const bool object = *p == '{';
      const unsigned char bit = (unsigned char)(1u << (depth % 8));
      is_object[depth / 8] = (unsigned char)(object ? (is_object[depth / 8] | bit) : (is_object[depth / 8] & ~bit));
      ++depth;
      p = skip_ws(p + 1, end);
      if (p < end && *p == (object ? '}' : ']')) {
        --depth;
        ++p;
      } else {
        if (object && (p = scan_key(p, end)) == NULL) return false;
        continue;
      }
    } else if ((p = scan_scalar(p, end)) == NULL) {
      return false;
    }
    /* After a value: close containers, or go on to the next value. */
    for (;;) {
      const char* const value_end = p;
      p = skip_ws(p, end);
      if (depth == 0) {
        /* A NUL ends the text, as it does for the station's JSON library (nlohmann/json). */
        if (p != end && *p != '\0') return false;
        root->begin = value_begin;
        root->end = value_end;
        return true;
      }
      const bool object = ((unsigned)is_object[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1u;
      if (p >= end) return false;
      if (*p == (object ? '}' : ']')) {
        --depth;
        ++p;
        continue;
      }
      if (*p != ',') return false;
      p = skip_ws(p + 1, end);
      if (object && (p = scan_key(p, end)) == NULL) return false;
      break;
    }
  }
}

espfab_ft_json_type espfab_ft_json_type_of(espfab_ft_json_value value) {
  switch (*value.begin) {
    case '{': return ESPFAB_FT_JSON_OBJECT;
    case '[': return ESPFAB_FT_JSON_ARRAY;
    case '"': return ESPFAB_FT_JSON_STRING;
    case 't': return ESPFAB_FT_JSON_TRUE;
    case 'f': return ESPFAB_FT_JSON_FALSE;
    case 'n': return ESPFAB_FT_JSON_NULL;
    default: return ESPFAB_FT_JSON_NUMBER;
  }
}

/* In checked text: the position after the string at p. */
static const char* skip_string(const char* p) {
  ++p;
  while (*p != '"') {
    if (*p == '\\') ++p;
    ++p;
  }
  return p + 1;
}

/* In checked text: the position after the value at p. */
static const char* skip_value(const char* p, const char* end) {
  if (*p == '"') return skip_string(p);
  if (*p == '{' || *p == '[') {
    size_t depth = 0;
    while (p < end) {
      if (*p == '"') {
        p = skip_string(p);
        continue;
      }
      if (*p == '{' || *p == '[') {
        ++depth;
      } else if ((*p == '}' || *p == ']') && --depth == 0) {
        return p + 1;
      }
      ++p;
    }
    return end;
  }
  while (p < end && !is_ws(*p) && *p != ',' && *p != ']' && *p != '}') ++p;
  return p;
}

static bool key_equals(const char* token, const char* end, const char* key, size_t key_len) {
  char decoded[KEY_MAX];
  sink s = {decoded, sizeof decoded, 0};
  (void)scan_string(token, end, &s);
  return s.len == key_len && memcmp(decoded, key, key_len) == 0;
}

bool espfab_ft_json_member(espfab_ft_json_value object, const char* key, espfab_ft_json_value* member) {
  const size_t key_len = strlen(key);
  if (espfab_ft_json_type_of(object) != ESPFAB_FT_JSON_OBJECT || key_len >= KEY_MAX) return false;
  const char* const end = object.end;
  const char* p = skip_ws(object.begin + 1, end);
  bool found = false;
  while (*p == '"') {
    const char* const key_token = p;
    p = skip_ws(skip_string(p), end); /* at ':' */
    const char* const value = skip_ws(p + 1, end);
    const char* const value_end = skip_value(value, end);
    if (key_equals(key_token, end, key, key_len)) {
      member->begin = value;
      member->end = value_end;
      found = true;
    }
    p = skip_ws(value_end, end);
    if (*p != ',') break;
    p = skip_ws(p + 1, end);
  }
  return found;
}

void espfab_ft_json_iter_init(espfab_ft_json_value array, espfab_ft_json_iter* iter) {
  iter->end = array.end;
  iter->next = espfab_ft_json_type_of(array) == ESPFAB_FT_JSON_ARRAY ? skip_ws(array.begin + 1, array.end) : NULL;
}

bool espfab_ft_json_iter_next(espfab_ft_json_iter* iter, espfab_ft_json_value* element) {
  if (iter->next == NULL || *iter->next == ']') return false;
  element->begin = iter->next;
  element->end = skip_value(iter->next, iter->end);
  const char* p = skip_ws(element->end, iter->end);
  iter->next = *p == ',' ? skip_ws(p + 1, iter->end) : p;
  return true;
}

bool espfab_ft_json_integer_of(espfab_ft_json_value value, espfab_ft_json_integer* out) {
  if (espfab_ft_json_type_of(value) != ESPFAB_FT_JSON_NUMBER) return false;
  for (const char* p = value.begin; p < value.end; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') return false;
  }
  return parse_integer(value.begin, value.end, out);
}

bool espfab_ft_json_int_in(espfab_ft_json_value value, int64_t min, int64_t max, int64_t* out) {
  espfab_ft_json_integer integer;
  if (!espfab_ft_json_integer_of(value, &integer)) return false;
  int64_t v = 0;
  if (integer.negative) {
    if (integer.magnitude > (uint64_t)INT64_MAX + 1u) return false;
    v = integer.magnitude == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)integer.magnitude;
  } else {
    if (integer.magnitude > (uint64_t)INT64_MAX) return false;
    v = (int64_t)integer.magnitude;
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

size_t espfab_ft_json_utf8_length(const char* p, const char* end) {
  if (p >= end) return 0;
  if ((unsigned char)*p < 0x80) return 1;
  return utf8_sequence((const unsigned char*)p, (const unsigned char*)end);
}

bool espfab_ft_json_string_of(espfab_ft_json_value value, char* buf, size_t capacity, size_t* len) {
  if (espfab_ft_json_type_of(value) != ESPFAB_FT_JSON_STRING) return false;
  sink s = {buf, capacity, 0};
  (void)scan_string(value.begin, value.end, &s);
  if (s.len > capacity) return false;
  if (s.len < capacity) buf[s.len] = '\0';
  *len = s.len;
  return true;
}
