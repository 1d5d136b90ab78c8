/* Writes one JSON line into a fixed buffer, in the station's own format (docs/firmware-contract.md,
 * "Framing"): no spaces, members in the order written, strings with only `"`, `\`, and control
 * characters escaped (\b \f \n \r \t, else \u00xx), numbers as the shortest text that reads back
 * the same (a double always with a '.' or an exponent: 25.0, 9.81, 1e-05; NaN and infinities as
 * null). A value that does not fit sets `overflow` and the rest is dropped. Portable C11. */
#ifndef ESPFAB_FT_WRITER_H
#define ESPFAB_FT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESPFAB_FT_WRITER_MAX_DEPTH 8

typedef struct {
  char* buf;
  size_t capacity;
  size_t len;
  bool overflow;
  bool after_key;      /* the next value belongs to the key just written */
  unsigned depth;      /* open objects and arrays */
  uint32_t has_member; /* bit d: the container at depth d has a member already */
} espfab_ft_writer;

void espfab_ft_writer_init(espfab_ft_writer* w, char* buf, size_t capacity);

/* Members (key != NULL) of the open object, or elements (key == NULL) of the open array. */
void espfab_ft_put_int(espfab_ft_writer* w, const char* key, int64_t value);
void espfab_ft_put_uint(espfab_ft_writer* w, const char* key, uint64_t value);
void espfab_ft_put_double(espfab_ft_writer* w, const char* key, double value);
void espfab_ft_put_bool(espfab_ft_writer* w, const char* key, bool value);
void espfab_ft_put_null(espfab_ft_writer* w, const char* key);
void espfab_ft_put_string(espfab_ft_writer* w, const char* key, const char* value);
void espfab_ft_put_string_n(espfab_ft_writer* w, const char* key, const char* value, size_t len);
void espfab_ft_begin_object(espfab_ft_writer* w, const char* key);
void espfab_ft_end_object(espfab_ft_writer* w);
void espfab_ft_begin_array(espfab_ft_writer* w, const char* key);
void espfab_ft_end_array(espfab_ft_writer* w);
/* Text written as it is (a literal prefix such as the ready line's). */
void espfab_ft_put_raw(espfab_ft_writer* w, const char* text, size_t len);

/* The shortest decimal text of `value` as the writer prints it (above); returns its length.
 * `out` needs 32 bytes. */
size_t espfab_ft_format_double(double value, char out[32]);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_FT_WRITER_H */
