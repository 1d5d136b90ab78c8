/* The built-in commands: arguments checked as docs/firmware-contract.md says, the board asked,
 * the result members written in the order the station's documentation shows them. */
#include "ft_commands.h"

#include <string.h>

static bool unsupported(espfab_ft_request* request, const char* command) {
  static const char kText[] = " is not supported on this board";
  return espfab_ft_fail_with(request, command, kText, sizeof kText - 1);
}

static const espfab_ft_board* board_of(const espfab_ft_request* request) { return &request->core->board; }

static bool cmd_info(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  const espfab_ft_device* device = &request->core->device;
  espfab_ft_writer* reply = request->reply;
  espfab_ft_put_string(reply, "chip", device->chip);
  espfab_ft_put_string(reply, "revision", device->revision);
  espfab_ft_put_uint(reply, "flash_size", device->flash_size);
  espfab_ft_put_uint(reply, "psram_size", device->psram_size);
  espfab_ft_put_string(reply, "mac", device->mac);
  return true;
}

/* One [OUT,IN] pair of GPIO numbers. */
static bool read_pair(espfab_ft_json_value pair, int pins[2]) {
  espfab_ft_json_iter iter;
  espfab_ft_json_value pin;
  espfab_ft_json_iter_init(pair, &iter);
  for (int i = 0; i < 2; ++i) {
    int64_t number = 0;
    if (!espfab_ft_json_iter_next(&iter, &pin) || !espfab_ft_json_int_in(pin, 0, ESPFAB_FT_MAX_GPIO, &number)) {
      return false;
    }
    pins[i] = (int)number;
  }
  return !espfab_ft_json_iter_next(&iter, &pin);
}

static bool cmd_gpio_loopback(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  static const char kBad[] = "bad argument pairs: expected up to 16 [OUT,IN] pairs of GPIO numbers 0-48";
  int pins[ESPFAB_FT_MAX_PAIRS][2];
  size_t count = 0;
  espfab_ft_json_value pairs;
  if (espfab_ft_json_member(request->object, "pairs", &pairs)) {
    if (espfab_ft_json_type_of(pairs) != ESPFAB_FT_JSON_ARRAY) return espfab_ft_fail(request, kBad);
    espfab_ft_json_iter iter;
    espfab_ft_json_value pair;
    espfab_ft_json_iter_init(pairs, &iter);
    while (espfab_ft_json_iter_next(&iter, &pair)) {
      if (count == ESPFAB_FT_MAX_PAIRS || !read_pair(pair, pins[count])) return espfab_ft_fail(request, kBad);
      ++count;
    }
  }
  const espfab_ft_board* board = board_of(request);
  if (board->gpio_loopback == NULL) return unsupported(request, "gpio_loopback");
  espfab_ft_writer* reply = request->reply;
  espfab_ft_begin_array(reply, "results");
  for (size_t i = 0; i < count; ++i) {
    espfab_ft_loopback result = {false, false};
    const char* error = board->gpio_loopback(board->ctx, pins[i][0], pins[i][1], &result);
    if (error != NULL) return espfab_ft_fail(request, error);
    espfab_ft_begin_object(reply, NULL);
    espfab_ft_begin_array(reply, "pair");
    espfab_ft_put_int(reply, NULL, pins[i][0]);
    espfab_ft_put_int(reply, NULL, pins[i][1]);
    espfab_ft_end_array(reply);
    espfab_ft_put_bool(reply, "pass", result.read_high && !result.read_low);
    espfab_ft_put_bool(reply, "read_high", result.read_high);
    espfab_ft_put_bool(reply, "read_low", result.read_low);
    espfab_ft_end_object(reply);
  }
  espfab_ft_end_array(reply);
  return true;
}

static bool cmd_adc_read(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  int64_t channel = 0;
  int64_t samples = 1;
  if (espfab_ft_arg_int(request, "channel", 0, 255, &channel) == ESPFAB_FT_ARG_BAD) {
    return espfab_ft_fail(request, "bad argument channel: expected an integer from 0 to 255");
  }
  if (espfab_ft_arg_int(request, "samples", 1, 1024, &samples) == ESPFAB_FT_ARG_BAD) {
    return espfab_ft_fail(request, "bad argument samples: expected an integer from 1 to 1024");
  }
  const espfab_ft_board* board = board_of(request);
  if (board->adc_read == NULL) return unsupported(request, "adc_read");
  espfab_ft_adc adc = {0, 0, 0};
  const char* error = board->adc_read(board->ctx, (int)channel, (int)samples, &adc);
  if (error != NULL) return espfab_ft_fail(request, error);
  espfab_ft_put_int(request->reply, "mv", adc.mv);
  espfab_ft_put_int(request->reply, "min_mv", adc.min_mv);
  espfab_ft_put_int(request->reply, "max_mv", adc.max_mv);
  return true;
}

static bool cmd_sensor(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  const char* name = NULL;
  size_t name_len = 0;
  if (espfab_ft_arg_string(request, "name", &name, &name_len) != ESPFAB_FT_ARG_OK) {
    return espfab_ft_fail(request, "bad argument name: expected a string");
  }
  const espfab_ft_core* core = request->core;
  for (size_t i = 0; i < core->sensor_count; ++i) {
    const espfab_ft_sensor* sensor = &core->sensors[i];
    if (strlen(sensor->name) != name_len || memcmp(sensor->name, name, name_len) != 0) continue;
    double value = 0.0;
    bool present = false;
    const char* error = sensor->fn(sensor->ctx, &value, &present);
    if (error != NULL) return espfab_ft_fail(request, error);
    if (present) {
      espfab_ft_put_double(request->reply, "value", value);
    } else {
      espfab_ft_put_null(request->reply, "value");
    }
    espfab_ft_put_string(request->reply, "unit", sensor->unit);
    espfab_ft_put_bool(request->reply, "present", present);
    return true;
  }
  return espfab_ft_fail_with(request, "unknown sensor ", name, name_len);
}

/* An SSID as valid UTF-8 (a network's name is any 32 bytes; the station's JSON reader refuses
 * malformed UTF-8): each byte that does not start a well-formed character becomes U+FFFD. */
static size_t ssid_as_utf8(const char* ssid, char out[32 * 3]) {
  size_t len = 0;
  while (len < 32 && ssid[len] != '\0') ++len;
  size_t at = 0;
  for (size_t i = 0; i < len;) {
    const size_t n = espfab_ft_json_utf8_length(ssid + i, ssid + len);
    if (n == 0) {
      out[at++] = (char)0xEF; /* U+FFFD */
      out[at++] = (char)0xBF;
      out[at++] = (char)0xBD;
      ++i;
    } else {
      memcpy(out + at, ssid + i, n);
      at += n;
      i += n;
    }
  }
  return at;
}

static bool cmd_wifi_scan(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  const char* ssid = NULL;
  size_t ssid_len = 0;
  if (espfab_ft_arg_string(request, "ssid", &ssid, &ssid_len) == ESPFAB_FT_ARG_BAD) {
    return espfab_ft_fail(request, "bad argument ssid: expected a string");
  }
  if (ssid_len == 0) ssid = NULL; /* "" or missing: every network */
  const espfab_ft_board* board = board_of(request);
  if (board->wifi_scan == NULL) return unsupported(request, "wifi_scan");
  espfab_ft_ap* aps = request->core->aps;
  size_t count = 0;
  const char* error = board->wifi_scan(board->ctx, ssid, aps, ESPFAB_FT_MAX_APS, &count);
  if (error != NULL) return espfab_ft_fail(request, error);
  if (count > ESPFAB_FT_MAX_APS) count = ESPFAB_FT_MAX_APS;
  espfab_ft_writer* reply = request->reply;
  espfab_ft_begin_array(reply, "aps");
  for (size_t i = 0; i < count; ++i) {
    char name[32 * 3];
    const size_t name_len = ssid_as_utf8(aps[i].ssid, name);
    if (ssid != NULL && (name_len != ssid_len || memcmp(name, ssid, ssid_len) != 0)) continue;
    espfab_ft_begin_object(reply, NULL);
    espfab_ft_put_string_n(reply, "ssid", name, name_len);
    espfab_ft_put_int(reply, "rssi", aps[i].rssi);
    espfab_ft_put_int(reply, "channel", aps[i].channel);
    espfab_ft_end_object(reply);
  }
  espfab_ft_end_array(reply);
  return true;
}

static bool cmd_mem_test(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  const char* region = "psram";
  size_t region_len = 5;
  const espfab_ft_arg_status status = espfab_ft_arg_string(request, "region", &region, &region_len);
  if (status == ESPFAB_FT_ARG_BAD) return espfab_ft_fail(request, "bad argument region: expected a string");
  const char* known = NULL;
  if (region_len == 5 && memcmp(region, "psram", 5) == 0) known = "psram";
  if (region_len == 5 && memcmp(region, "flash", 5) == 0) known = "flash";
  if (known == NULL) return espfab_ft_fail_with(request, "unknown region ", region, region_len);
  const espfab_ft_board* board = board_of(request);
  if (board->mem_test == NULL) return unsupported(request, "mem_test");
  espfab_ft_mem result = {false, 0};
  const char* error = board->mem_test(board->ctx, known, &result);
  if (error != NULL) return espfab_ft_fail(request, error);
  espfab_ft_put_bool(request->reply, "pass", result.pass);
  espfab_ft_put_uint(request->reply, "bytes", result.bytes);
  return true;
}

static bool cmd_reboot(void* ctx, espfab_ft_request* request) {
  (void)ctx;
  request->core->restart_requested = true;
  return true;
}

void espfab_ft_register_builtins(espfab_ft_core* core) {
  (void)espfab_ft_add_command(core, "info", cmd_info, NULL);
  (void)espfab_ft_add_command(core, "gpio_loopback", cmd_gpio_loopback, NULL);
  (void)espfab_ft_add_command(core, "adc_read", cmd_adc_read, NULL);
  (void)espfab_ft_add_command(core, "sensor", cmd_sensor, NULL);
  (void)espfab_ft_add_command(core, "wifi_scan", cmd_wifi_scan, NULL);
  (void)espfab_ft_add_command(core, "mem_test", cmd_mem_test, NULL);
  (void)espfab_ft_add_command(core, "reboot", cmd_reboot, NULL);
}
