/* The JSON writer of ft_writer.h. Its output is byte for byte what nlohmann/json's dump() makes of
 * the same values (the station and the emulator use that library); unit tests compare the two. */
#include "espfab_ft/ft_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void espfab_ft_writer_init(espfab_ft_writer* w, char* buf, size_t capacity) {
  w->buf = buf;
  w->capacity = capacity;
  w->len = 0;
  w->overflow = false;
  w->after_key = false;
  w->depth = 0;
  w->has_member = 0;
  if (capacity > 0) buf[0] = '\0';
}

void espfab_ft_put_raw(espfab_ft_writer* w, const char* text, size_t len) {
  if (w->overflow) return;
  if (len + 1 > w->capacity - w->len) { /* keep room for the NUL */
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, text, len);
  w->len += len;
  w->buf[w->len] = '\0';
}

static void put_char(espfab_ft_writer* w, char c) { espfab_ft_put_raw(w, &c, 1); }

static void put_escaped(espfab_ft_writer* w, const char* s, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  put_char(w, '"');
  size_t run = 0; /* characters copied as they are, written in one go */
  for (size_t i = 0; i < len; ++i) {
    const unsigned char c = (unsigned char)s[i];
    char escape[6] = {'\\', 0, 0, 0, 0, 0};
    size_t escape_len = 2;
    switch (c) {
      case '"': escape[1] = '"'; break;
      case '\\': escape[1] = '\\'; break;
      case '\b': escape[1] = 'b'; break;
      case '\f': escape[1] = 'f'; break;
      case '\n': escape[1] = 'n'; break;
      case '\r': escape[1] = 'r'; break;
      case '\t': escape[1] = 't'; break;
      default:
        if (c >= 0x20) {
          ++run;
          continue;
        }
        escape[1] = 'u';
        escape[2] = '0';
        escape[3] = '0';
        escape[4] = kHex[c >> 4];
        escape[5] = kHex[c & 0xF];
        escape_len = 6;
        break;
    }
    espfab_ft_put_raw(w, s + i - run, run);
    run = 0;
    espfab_ft_put_raw(w, escape, escape_len);
  }
  espfab_ft_put_raw(w, s + len - run, run);
  put_char(w, '"');
}

/* The comma and key before a value. */
static void begin_value(espfab_ft_writer* w, const char* key) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  const uint32_t bit = 1u << w->depth;
  if (w->has_member & bit) put_char(w, ',');
  w->has_member |= bit;
  if (key != NULL) {
    put_escaped(w, key, strlen(key));
    put_char(w, ':');
  }
}

static void put_decimal(espfab_ft_writer* w, bool negative, uint64_t magnitude) {
  char digits[21];
  size_t at = sizeof digits;
  do {
    digits[--at] = (char)('0' + (int)(magnitude % 10u));
    magnitude /= 10u;
  } while (magnitude != 0);
  if (negative) digits[--at] = '-';
  espfab_ft_put_raw(w, digits + at, sizeof digits - at);
}

void espfab_ft_put_int(espfab_ft_writer* w, const char* key, int64_t value) {
  begin_value(w, key);
  const uint64_t magnitude = value < 0 ? (uint64_t)(-(value + 1)) + 1u : (uint64_t)value;
  put_decimal(w, value < 0, magnitude);
}

void espfab_ft_put_uint(espfab_ft_writer* w, const char* key, uint64_t value) {
  begin_value(w, key);
  put_decimal(w, false, value);
}

void espfab_ft_put_bool(espfab_ft_writer* w, const char* key, bool value) {
  begin_value(w, key);
  espfab_ft_put_raw(w, value ? "true" : "false", value ? 4 : 5);
}

void espfab_ft_put_null(espfab_ft_writer* w, const char* key) {
  begin_value(w, key);
  espfab_ft_put_raw(w, "null", 4);
}

void espfab_ft_put_string_n(espfab_ft_writer* w, const char* key, const char* value, size_t len) {
  begin_value(w, key);
  put_escaped(w, value, len);
}

void espfab_ft_put_string(espfab_ft_writer* w, const char* key, const char* value) {
  espfab_ft_put_string_n(w, key, value, strlen(value));
}

static void open_container(espfab_ft_writer* w, const char* key, char bracket) {
  begin_value(w, key);
  put_char(w, bracket);
  if (w->depth + 1 >= ESPFAB_FT_WRITER_MAX_DEPTH) {
    w->overflow = true;
    return;
  }
  ++w->depth;
  w->has_member &= ~(1u << w->depth);
}

static void close_container(espfab_ft_writer* w, char bracket) {
  if (w->depth > 0) --w->depth;
  put_char(w, bracket);
}

void espfab_ft_begin_object(espfab_ft_writer* w, const char* key) { open_container(w, key, '{'); }
void espfab_ft_end_object(espfab_ft_writer* w) { close_container(w, '}'); }
void espfab_ft_begin_array(espfab_ft_writer* w, const char* key) { open_container(w, key, '['); }
void espfab_ft_end_array(espfab_ft_writer* w) { close_container(w, ']'); }

/* Lays out digits d1..dk with the value 0.d1..dk * 10^n the way nlohmann/json's to_chars does:
 * plain digits up to 10^15, "0.000ddd" down to 1e-4, else d.ddde+XX. */
static size_t layout(char* out, bool negative, const char* digits, int k, int n) {
  size_t at = 0;
  if (negative) out[at++] = '-';
  if (k <= n && n <= 15) {
    memcpy(out + at, digits, (size_t)k);
    at += (size_t)k;
    for (int i = k; i < n; ++i) out[at++] = '0';
    out[at++] = '.';
    out[at++] = '0';
  } else if (0 < n && n <= 15) {
    memcpy(out + at, digits, (size_t)n);
    at += (size_t)n;
    out[at++] = '.';
    memcpy(out + at, digits + n, (size_t)(k - n));
    at += (size_t)(k - n);
  } else if (-4 < n && n <= 0) {
    out[at++] = '0';
    out[at++] = '.';
    for (int i = n; i < 0; ++i) out[at++] = '0';
    memcpy(out + at, digits, (size_t)k);
    at += (size_t)k;
  } else {
    out[at++] = digits[0];
    if (k > 1) {
      out[at++] = '.';
      memcpy(out + at, digits + 1, (size_t)(k - 1));
      at += (size_t)(k - 1);
    }
    int e = n - 1;
    out[at++] = 'e';
    out[at++] = e < 0 ? '-' : '+';
    if (e < 0) e = -e;
    if (e >= 100) out[at++] = (char)('0' + e / 100);
    out[at++] = (char)('0' + e / 10 % 10);
    out[at++] = (char)('0' + e % 10);
  }
  out[at] = '\0';
  return at;
}

size_t espfab_ft_format_double(double value, char out[32]) {
  if (!isfinite(value)) {
    memcpy(out, "null", 5);
    return 4;
  }
  if (value == 0.0) {
    const char* zero = signbit(value) ? "-0.0" : "0.0";
    const size_t len = strlen(zero);
    memcpy(out, zero, len + 1);
    return len;
  }
  /* The shortest scientific form that reads back as the same double. */
  char sci[40];
  for (int precision = 0; precision < 17; ++precision) {
    snprintf(sci, sizeof sci, "%.*e", precision, value);
    if (strtod(sci, NULL) == value) break;
  }
  const bool negative = sci[0] == '-';
  const char* p = negative ? sci + 1 : sci;
  char digits[20];
  int k = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[k++] = *p;
  }
  while (k > 1 && digits[k - 1] == '0') --k;
  const int exponent = atoi(p + 1);
  return layout(out, negative, digits, k, exponent + 1);
}

void espfab_ft_put_double(espfab_ft_writer* w, const char* key, double value) {
  begin_value(w, key);
  char text[32];
  const size_t len = espfab_ft_format_double(value, text);
  espfab_ft_put_raw(w, text, len);
}
