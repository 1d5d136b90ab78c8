/* The protocol of ft_core.h: line assembly, request checks, dispatch through the command table,
 * the reply line and the ready line. The built-in commands are ft_commands.c. */
#include "espfab_ft/ft_core.h"

#include <string.h>

#include "ft_commands.h"

/* The ready line up to its version: the preflight looks for `"event":"ready"` in the image, so it
 * is one literal. */
static const char kReadyPrefix[] = "{\"ft\":1,\"event\":\"ready\",\"fw\":\"factory-test\",\"version\":";

void espfab_ft_init(espfab_ft_core* core, const espfab_ft_device* device, const espfab_ft_board* board) {
  memset(core, 0, sizeof *core);
  core->device = *device;
  core->board = *board;
  espfab_ft_register_builtins(core);
}

bool espfab_ft_add_command(espfab_ft_core* core, const char* name, espfab_ft_command_fn fn, void* ctx) {
  if (core->command_count == ESPFAB_FT_MAX_COMMANDS) return false;
  const espfab_ft_command command = {name, fn, ctx};
  core->commands[core->command_count++] = command;
  return true;
}

bool espfab_ft_add_sensor(espfab_ft_core* core, const char* name, const char* unit, espfab_ft_sensor_fn fn, void* ctx) {
  if (core->sensor_count == ESPFAB_FT_MAX_SENSORS) return false;
  const espfab_ft_sensor sensor = {name, unit, fn, ctx};
  core->sensors[core->sensor_count++] = sensor;
  return true;
}

/* Sends what the writer holds as one line. */
static void send_line(espfab_ft_core* core, const espfab_ft_writer* w) {
  memcpy(core->reply + w->len, "\r\n", 3);
  core->board.write(core->board.ctx, core->reply, w->len + 2);
}

void espfab_ft_start(espfab_ft_core* core) {
  espfab_ft_writer w;
  espfab_ft_writer_init(&w, core->reply, ESPFAB_FT_MAX_REPLY + 1);
  espfab_ft_put_raw(&w, kReadyPrefix, sizeof kReadyPrefix - 1);
  w.after_key = true; /* the prefix ends with the version's key */
  w.depth = 1;
  w.has_member = 2u;
  espfab_ft_put_string(&w, NULL, core->device.version);
  espfab_ft_put_string(&w, "mac", core->device.mac);
  espfab_ft_end_object(&w);
  send_line(core, &w);
}

bool espfab_ft_fail_with(espfab_ft_request* request, const char* text, const char* detail, size_t detail_len) {
  espfab_ft_core* core = request->core;
  size_t text_len = strlen(text);
  if (text_len > sizeof core->error) text_len = sizeof core->error;
  memcpy(core->error, text, text_len);
  if (detail_len > sizeof core->error - text_len) detail_len = sizeof core->error - text_len;
  memcpy(core->error + text_len, detail, detail_len);
  core->error_len = text_len + detail_len;
  return false;
}

bool espfab_ft_fail(espfab_ft_request* request, const char* text) { return espfab_ft_fail_with(request, text, "", 0); }

espfab_ft_arg_status espfab_ft_arg_int(const espfab_ft_request* request, const char* name, int64_t min, int64_t max,
                                       int64_t* out) {
  espfab_ft_json_value value;
  if (!espfab_ft_json_member(request->object, name, &value)) return ESPFAB_FT_ARG_MISSING;
  return espfab_ft_json_int_in(value, min, max, out) ? ESPFAB_FT_ARG_OK : ESPFAB_FT_ARG_BAD;
}

espfab_ft_arg_status espfab_ft_arg_string(espfab_ft_request* request, const char* name, const char** out, size_t* len) {
  espfab_ft_json_value value;
  if (!espfab_ft_json_member(request->object, name, &value)) return ESPFAB_FT_ARG_MISSING;
  char* buf = request->core->arg;
  if (!espfab_ft_json_string_of(value, buf, sizeof request->core->arg, len)) return ESPFAB_FT_ARG_BAD;
  *out = buf;
  return ESPFAB_FT_ARG_OK;
}

static void put_id(espfab_ft_writer* w, const espfab_ft_json_integer* id) {
  if (!id->negative) {
    espfab_ft_put_uint(w, "id", id->magnitude);
  } else if (id->magnitude == (uint64_t)INT64_MAX + 1u) {
    espfab_ft_put_int(w, "id", INT64_MIN);
  } else {
    espfab_ft_put_int(w, "id", -(int64_t)id->magnitude);
  }
}

/* The command a request names; false (its error set) when there is none. The newest entry with
 * the name wins, so a product can replace a built-in command. */
static bool run_command(espfab_ft_core* core, espfab_ft_request* request) {
  espfab_ft_json_value cmd;
  size_t cmd_len = 0;
  if (!espfab_ft_json_member(request->object, "cmd", &cmd) ||
      !espfab_ft_json_string_of(cmd, core->cmd, sizeof core->cmd, &cmd_len)) {
    return espfab_ft_fail(request, "bad argument cmd: expected a string");
  }
  for (size_t i = core->command_count; i-- > 0;) {
    const espfab_ft_command* command = &core->commands[i];
    if (strlen(command->name) != cmd_len || memcmp(command->name, core->cmd, cmd_len) != 0) continue;
    if (command->fn(command->ctx, request)) return true;
    if (core->error_len == 0) espfab_ft_fail_with(request, command->name, " failed", 7);
    return false;
  }
  return espfab_ft_fail_with(request, "unknown command ", core->cmd, cmd_len);
}

void espfab_ft_handle_line(espfab_ft_core* core, const char* line, size_t len) {
  espfab_ft_json_value object;
  espfab_ft_json_value id_value;
  espfab_ft_json_integer id;
  if (!espfab_ft_json_parse(line, len, &object) || espfab_ft_json_type_of(object) != ESPFAB_FT_JSON_OBJECT ||
      !espfab_ft_json_member(object, "id", &id_value) || !espfab_ft_json_integer_of(id_value, &id)) {
    return; /* not a request: console noise */
  }
  espfab_ft_writer w;
  espfab_ft_writer_init(&w, core->reply, ESPFAB_FT_MAX_REPLY + 1);
  espfab_ft_begin_object(&w, NULL);
  put_id(&w, &id);
  espfab_ft_put_bool(&w, "ok", true);
  espfab_ft_request request = {core, object, &w};
  core->error_len = 0;
  core->restart_requested = false;
  bool ok = run_command(core, &request);
  if (ok) {
    espfab_ft_end_object(&w);
    if (w.overflow) ok = espfab_ft_fail(&request, "reply too long");
  }
  if (!ok) {
    core->restart_requested = false;
    espfab_ft_writer_init(&w, core->reply, ESPFAB_FT_MAX_REPLY + 1);
    espfab_ft_begin_object(&w, NULL);
    put_id(&w, &id);
    espfab_ft_put_bool(&w, "ok", false);
    espfab_ft_put_string_n(&w, "error", core->error, core->error_len);
    espfab_ft_end_object(&w);
  }
  send_line(core, &w);
  if (core->restart_requested && core->board.restart != NULL) core->board.restart(core->board.ctx);
}

void espfab_ft_feed(espfab_ft_core* core, const uint8_t* bytes, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    const char c = (char)bytes[i];
    if (c == '\n') {
      size_t n = core->line_len;
      if (n > 0 && core->line[n - 1] == '\r') --n;
      core->line[n] = '\0';
      if (!core->line_too_long) espfab_ft_handle_line(core, core->line, n);
      core->line_len = 0;
      core->line_too_long = false;
    } else if (core->line_len < ESPFAB_FT_MAX_LINE + 1) {
      core->line[core->line_len++] = c;
    } else {
      core->line_too_long = true; /* longer than any request: ignored up to its end */
    }
  }
}
