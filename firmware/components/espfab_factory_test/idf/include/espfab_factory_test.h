/* espfab factory-test firmware component for ESP-IDF (docs/firmware-contract.md in the espfab
 * repository): the factory-test protocol v1 on the console (UART or USB-Serial-JTAG, whichever
 * sdkconfig makes the primary console), answered by the portable core (espfab_ft/ft_core.h) with
 * the board tests the product chooses. Not compiled in the espfab repository (no ESP-IDF there):
 * see README.md. */
#pragma once

#include "esp_err.h"
#include "espfab_ft/ft_core.h"
#include "freertos/FreeRTOS.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  /* The board's tests (ctx and the test callbacks; write and restart are the component's). A test
   * left NULL answers "<command> is not supported on this board". */
  espfab_ft_board board;
  uint32_t task_stack; /* bytes for the console task */
  UBaseType_t task_priority;
} espfab_factory_test_config_t;

/* The example tests of this component (idf/ft_*.c); a product may use them as they are. */
const char* espfab_ft_idf_gpio_loopback(void* ctx, int out, int in, espfab_ft_loopback* result);
const char* espfab_ft_idf_adc_read(void* ctx, int channel, int samples, espfab_ft_adc* result);
const char* espfab_ft_idf_wifi_scan(void* ctx, const char* ssid, espfab_ft_ap* aps, size_t capacity, size_t* count);
const char* espfab_ft_idf_mem_test(void* ctx, const char* region, espfab_ft_mem* result);
/* The chip's internal temperature sensor, for espfab_ft_add_sensor(core, "temp", "C", ...). */
const char* espfab_ft_idf_chip_temperature(void* ctx, double* value, bool* present);

/* All example tests. */
#define ESPFAB_FACTORY_TEST_CONFIG_DEFAULT()                \
  {                                                         \
    .board = {.ctx = NULL,                                  \
              .write = NULL,                                \
              .gpio_loopback = espfab_ft_idf_gpio_loopback, \
              .adc_read = espfab_ft_idf_adc_read,           \
              .wifi_scan = espfab_ft_idf_wifi_scan,         \
              .mem_test = espfab_ft_idf_mem_test,           \
              .restart = NULL},                             \
    .task_stack = 6144, .task_priority = 5                  \
  }

/* Reads the device facts (base MAC, app version, chip and revision, flash and PSRAM size) and
 * opens the console. Returns the core, for espfab_ft_add_sensor and espfab_ft_add_command before
 * espfab_factory_test_start; NULL when the console cannot be opened. Call once. */
espfab_ft_core* espfab_factory_test_init(const espfab_factory_test_config_t* config);

/* Prints the ready line and answers requests on a task of its own; app_main may return. */
esp_err_t espfab_factory_test_start(void);

#ifdef __cplusplus
}
#endif
