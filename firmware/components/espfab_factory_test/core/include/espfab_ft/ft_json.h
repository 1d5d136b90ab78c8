/* A small JSON reader for the factory-test requests (docs/firmware-contract.md, "Framing"): one
 * line is checked to be exactly one JSON value (RFC 8259, UTF-8 checked, \u escapes with surrogate
 * pairs, no number that overflows a double), then its members are looked up in place. Nothing is
 * copied or allocated; the text must outlive the values that point into it. No recursion: the
 * nesting depth is bounded by the text's length (ESPFAB_FT_JSON_MAX_TEXT). Portable C11. */
#ifndef ESPFAB_FT_JSON_H
#define ESPFAB_FT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest text espfab_ft_json_parse accepts (a request line without its line end). */
#define ESPFAB_FT_JSON_MAX_TEXT 1024

typedef enum {
  ESPFAB_FT_JSON_NULL,
  ESPFAB_FT_JSON_FALSE,
  ESPFAB_FT_JSON_TRUE,
  ESPFAB_FT_JSON_NUMBER,
  ESPFAB_FT_JSON_STRING,
  ESPFAB_FT_JSON_ARRAY,
  ESPFAB_FT_JSON_OBJECT
} espfab_ft_json_type;

/* One value of a checked text: [begin, end). */
typedef struct {
  const char* begin;
  const char* end;
} espfab_ft_json_value;

/* Elements of an array, in order. */
typedef struct {
  const char* next; /* the next element, or the closing bracket; NULL: not an array */
  const char* end;
} espfab_ft_json_iter;

/* An integer: a number without fraction or exponent that fits int64_t (negative) or uint64_t. */
typedef struct {
  bool negative;
  uint64_t magnitude;
} espfab_ft_json_integer;

/* True when text[0..len) is one JSON value with optional white space around it (and an optional
 * UTF-8 byte order mark at the start; a NUL byte after the value ends the text, as it does for
 * nlohmann/json); *root is that value. False for anything else, including a text longer than
 * ESPFAB_FT_JSON_MAX_TEXT. */
bool espfab_ft_json_parse(const char* text, size_t len, espfab_ft_json_value* root);

espfab_ft_json_type espfab_ft_json_type_of(espfab_ft_json_value value);

/* The member `key` of an object (keys compared after decoding escapes). With duplicate keys the
 * last one counts. False when `object` is not an object or has no such member. */
bool espfab_ft_json_member(espfab_ft_json_value object, const char* key, espfab_ft_json_value* member);

/* Iteration over an array: init, then next until it returns false. */
void espfab_ft_json_iter_init(espfab_ft_json_value array, espfab_ft_json_iter* iter);
bool espfab_ft_json_iter_next(espfab_ft_json_iter* iter, espfab_ft_json_value* element);

/* False when the value is not an integer in the sense above. */
bool espfab_ft_json_integer_of(espfab_ft_json_value value, espfab_ft_json_integer* out);
/* The integer when it lies in [min, max]; false otherwise (also for non-integers). */
bool espfab_ft_json_int_in(espfab_ft_json_value value, int64_t min, int64_t max, int64_t* out);

/* Decodes a string value into buf (not NUL-terminated by contract, but a NUL is added when it
 * fits); *len is its length in bytes (it may contain NUL bytes from \u0000). False when the value
 * is not a string or its decoded form needs more than `capacity` bytes. */
bool espfab_ft_json_string_of(espfab_ft_json_value value, char* buf, size_t capacity, size_t* len);

/* Length of the well-formed UTF-8 character at p (1 for ASCII), or 0 when the bytes there are
 * not one (RFC 3629). */
size_t espfab_ft_json_utf8_length(const char* p, const char* end);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_FT_JSON_H */
