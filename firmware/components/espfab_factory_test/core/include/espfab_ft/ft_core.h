/* The device side of the espfab factory-test protocol v1 (docs/firmware-contract.md): bytes from
 * the console in, JSON lines out through the board's write callback. The core never prints and
 * never allocates; the board (ESP-IDF glue, or a host adapter in tests) gives it the console and
 * the hardware through callbacks. Not thread-safe: one task feeds it. Portable C11.
 *
 *   static espfab_ft_core core;
 *   espfab_ft_init(&core, &device, &board);   // device facts, board callbacks
 *   espfab_ft_add_sensor(&core, "temp", "C", read_temp, NULL);
 *   espfab_ft_start(&core);                   // writes the ready line
 *   for (;;) espfab_ft_feed(&core, bytes, n); // answers every complete request line
 */
#ifndef ESPFAB_FT_CORE_H
#define ESPFAB_FT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "espfab_ft/ft_json.h"
#include "espfab_ft/ft_writer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESPFAB_FT_PROTOCOL_VERSION 1
#define ESPFAB_FT_MAX_LINE ESPFAB_FT_JSON_MAX_TEXT /* request bytes, without the line end */
#define ESPFAB_FT_MAX_REPLY 2048                   /* reply bytes, without the line end */
#define ESPFAB_FT_MAX_COMMANDS 24                  /* built-in and product commands */
#define ESPFAB_FT_MAX_SENSORS 8
#define ESPFAB_FT_MAX_PAIRS 16 /* gpio_loopback pairs per request */
#define ESPFAB_FT_MAX_APS 20   /* wifi_scan access points per reply */
#define ESPFAB_FT_MAX_GPIO 48  /* highest GPIO number a request may name (ESP32-S3) */

/* The facts of the ready line and of `info`. Strings must outlive the core. */
typedef struct {
  const char* mac;      /* base MAC as the ROM reports it: "7c:df:a1:00:00:01" */
  const char* version;  /* esp_app_desc_t version */
  const char* chip;     /* "ESP32-S3" */
  const char* revision; /* "v0.2" */
  uint32_t flash_size;  /* bytes */
  uint32_t psram_size;  /* bytes; 0 without PSRAM */
} espfab_ft_device;

typedef struct {
  bool read_high; /* what `in` read while `out` drove high */
  bool read_low;  /* ... and low */
} espfab_ft_loopback;

typedef struct {
  int32_t mv, min_mv, max_mv;
} espfab_ft_adc;

typedef struct {
  char ssid[33]; /* NUL-terminated */
  int32_t rssi;  /* dBm */
  int32_t channel;
} espfab_ft_ap;

typedef struct {
  bool pass;
  uint32_t bytes;
} espfab_ft_mem;

/* The board: console output and the hardware tests. Each test returns NULL when it ran (its
 * result filled in) or a short text saying why it could not (sent as the reply's error). A test
 * left NULL answers "<command> is not supported on this board". */
typedef struct {
  void* ctx;
  /* Required: one whole line, its "\r\n" included, in one call. */
  void (*write)(void* ctx, const char* data, size_t len);
  /* Drive `out` high then low and read `in` each time. */
  const char* (*gpio_loopback)(void* ctx, int out, int in, espfab_ft_loopback* result);
  /* `samples` readings of `channel` (board-defined numbering) in millivolts. */
  const char* (*adc_read)(void* ctx, int channel, int samples, espfab_ft_adc* result);
  /* Up to `capacity` access points. `ssid` (NULL: any) is a hint; the core filters exactly. */
  const char* (*wifi_scan)(void* ctx, const char* ssid, espfab_ft_ap* aps, size_t capacity, size_t* count);
  /* region "psram" or "flash". */
  const char* (*mem_test)(void* ctx, const char* region, espfab_ft_mem* result);
  /* Called after the reply to `reboot` was written; a device does not return. */
  void (*restart)(void* ctx);
} espfab_ft_board;

typedef struct espfab_ft_core espfab_ft_core;

/* One request being answered: its arguments, its reply and its error. */
typedef struct {
  espfab_ft_core* core;
  espfab_ft_json_value object; /* the request line's object */
  espfab_ft_writer* reply;     /* inside {"id":N,"ok":true ... : add result members */
} espfab_ft_request;

/* A command: true when it answered, false after espfab_ft_fail* (or with "NAME failed"). */
typedef bool (*espfab_ft_command_fn)(void* ctx, espfab_ft_request* request);
/* A sensor for `sensor`: NULL with the value and whether it is present set, or an error text. */
typedef const char* (*espfab_ft_sensor_fn)(void* ctx, double* value, bool* present);

typedef struct {
  const char* name;
  espfab_ft_command_fn fn;
  void* ctx;
} espfab_ft_command;

typedef struct {
  const char* name;
  const char* unit;
  espfab_ft_sensor_fn fn;
  void* ctx;
} espfab_ft_sensor;

struct espfab_ft_core {
  espfab_ft_device device;
  espfab_ft_board board;
  espfab_ft_command commands[ESPFAB_FT_MAX_COMMANDS];
  size_t command_count;
  espfab_ft_sensor sensors[ESPFAB_FT_MAX_SENSORS];
  size_t sensor_count;
  char line[ESPFAB_FT_MAX_LINE + 2]; /* the request being assembled, a '\r' and a NUL */
  size_t line_len;
  bool line_too_long;                  /* discard up to the next '\n' */
  char cmd[ESPFAB_FT_MAX_LINE + 1];    /* the decoded `cmd` */
  char arg[ESPFAB_FT_MAX_LINE + 1];    /* a decoded string argument */
  char error[ESPFAB_FT_MAX_LINE + 64]; /* the error text of a failed request */
  size_t error_len;
  char reply[ESPFAB_FT_MAX_REPLY + 3]; /* the reply line, its "\r\n" and a NUL */
  espfab_ft_ap aps[ESPFAB_FT_MAX_APS]; /* wifi_scan's results */
  bool restart_requested;              /* by `reboot`, once its reply is out */
};

/* Registers the built-in commands of protocol v1. */
void espfab_ft_init(espfab_ft_core* core, const espfab_ft_device* device, const espfab_ft_board* board);
/* A product's own command (or a replacement of a built-in one). False when the table is full. */
bool espfab_ft_add_command(espfab_ft_core* core, const char* name, espfab_ft_command_fn fn, void* ctx);
/* A sensor the built-in `sensor` command can read. False when the table is full. */
bool espfab_ft_add_sensor(espfab_ft_core* core, const char* name, const char* unit, espfab_ft_sensor_fn fn, void* ctx);

/* Writes the ready line: {"ft":1,"event":"ready","fw":"factory-test","version":V,"mac":M}. */
void espfab_ft_start(espfab_ft_core* core);
/* Console bytes; each complete line (a '\r' before its '\n' dropped) is handled. */
void espfab_ft_feed(espfab_ft_core* core, const uint8_t* bytes, size_t len);
/* One line without its line end: a request is answered, anything else is ignored. */
void espfab_ft_handle_line(espfab_ft_core* core, const char* line, size_t len);

/* For commands: arguments (ESPFAB_FT_ARG_MISSING lets the command use its default). */
typedef enum { ESPFAB_FT_ARG_OK, ESPFAB_FT_ARG_MISSING, ESPFAB_FT_ARG_BAD } espfab_ft_arg_status;
espfab_ft_arg_status espfab_ft_arg_int(const espfab_ft_request* request, const char* name, int64_t min, int64_t max,
                                       int64_t* out);
/* Decoded into the core's argument buffer: *out points there until the next call. */
espfab_ft_arg_status espfab_ft_arg_string(espfab_ft_request* request, const char* name, const char** out, size_t* len);
/* For commands: an error reply. Both return false, for `return espfab_ft_fail(...)`. */
bool espfab_ft_fail(espfab_ft_request* request, const char* text);
/* text + detail (detail may hold NUL bytes). */
bool espfab_ft_fail_with(espfab_ft_request* request, const char* text, const char* detail, size_t detail_len);

#ifdef __cplusplus
}
#endif

#endif /* ESPFAB_FT_CORE_H */
