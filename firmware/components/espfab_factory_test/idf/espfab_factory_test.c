/* The component's entry points: the device facts from ESP-IDF, the console task that feeds the
 * core, and the restart after `reboot`. */
#include "espfab_factory_test.h"

#include <stdio.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_chip_info.h"
#include "esp_flash.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_system.h"
#include "freertos/task.h"
#include "ft_console.h"
#include "sdkconfig.h"
#if CONFIG_SPIRAM
#include "esp_psram.h"
#endif

static const char* TAG = "espfab_ft";

static espfab_ft_core s_core;
static espfab_factory_test_config_t s_config;
static char s_mac[18];
static char s_revision[12];
static bool s_initialised;

static void restart(void* ctx) {
  (void)ctx;
  ft_console_flush();
  esp_restart();
}

/* The base MAC (eFuse MAC_FACTORY), which is what the ROM loader reports to the station. */
static esp_err_t read_mac(void) {
  uint8_t mac[6];
  const esp_err_t err = esp_efuse_mac_get_default(mac);
  if (err != ESP_OK) return err;
  snprintf(s_mac, sizeof s_mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return ESP_OK;
}

espfab_ft_core* espfab_factory_test_init(const espfab_factory_test_config_t* config) {
  if (s_initialised) return &s_core;
  s_config = *config;
  if (read_mac() != ESP_OK) return NULL;
  esp_chip_info_t chip;
  esp_chip_info(&chip);
  /* revision is major * 100 + minor */
  snprintf(s_revision, sizeof s_revision, "v%u.%u", (unsigned)(chip.revision / 100), (unsigned)(chip.revision % 100));
  uint32_t flash_size = 0;
  if (esp_flash_get_size(NULL, &flash_size) != ESP_OK) flash_size = 0;
  espfab_ft_device device = {
    .mac = s_mac,
    .version = esp_app_get_description()->version,
#if CONFIG_IDF_TARGET_ESP32S3
    .chip = "ESP32-S3",
#else
    .chip = CONFIG_IDF_TARGET,
#endif
    .revision = s_revision,
    .flash_size = flash_size,
#if CONFIG_SPIRAM
    .psram_size = esp_psram_is_initialized() ? (uint32_t)esp_psram_get_size() : 0,
#else
    .psram_size = 0,
#endif
  };
  esp_err_t err = ft_console_open();
  if (err != ESP_OK) {
    ESP_LOGE(TAG, "console: %s", esp_err_to_name(err));
    return NULL;
  }
  espfab_ft_board board = s_config.board;
  board.write = ft_console_write;
  board.restart = restart;
  espfab_ft_init(&s_core, &device, &board);
  s_initialised = true;
  return &s_core;
}

static void console_task(void* arg) {
  (void)arg;
  uint8_t buf[128];
  for (;;) {
    const size_t n = ft_console_read(buf, sizeof buf, pdMS_TO_TICKS(100));
    if (n > 0) espfab_ft_feed(&s_core, buf, n);
  }
}

esp_err_t espfab_factory_test_start(void) {
  if (!s_initialised) return ESP_ERR_INVALID_STATE;
  espfab_ft_start(&s_core);
  const BaseType_t created =
      xTaskCreate(console_task, "espfab_ft", s_config.task_stack, NULL, s_config.task_priority, NULL);
  return created == pdPASS ? ESP_OK : ESP_ERR_NO_MEM;
}
