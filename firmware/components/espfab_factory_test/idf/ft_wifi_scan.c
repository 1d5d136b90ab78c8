/* Example test: a blocking Wi-Fi scan in station mode (started on first use, no NVS). The core
 * filters the results by SSID; the scan is narrowed to it when one is given. */
#include <stdio.h>
#include <string.h>

#include "esp_event.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "espfab_factory_test.h"

static const char* wifi_start(void) {
  static bool started;
  static char error[64];
  if (started) return NULL;
  esp_err_t err = esp_netif_init();
  if (err == ESP_OK) err = esp_event_loop_create_default();
  if (err == ESP_ERR_INVALID_STATE) err = ESP_OK; /* the product made the loop already */
  if (err == ESP_OK) {
    esp_netif_create_default_wifi_sta();
    wifi_init_config_t config = WIFI_INIT_CONFIG_DEFAULT();
    config.nvs_enable = 0;
    err = esp_wifi_init(&config);
  }
  if (err == ESP_OK) err = esp_wifi_set_mode(WIFI_MODE_STA);
  if (err == ESP_OK) err = esp_wifi_start();
  if (err != ESP_OK) {
    snprintf(error, sizeof error, "Wi-Fi start: %s", esp_err_to_name(err));
    return error;
  }
  started = true;
  return NULL;
}

const char* espfab_ft_idf_wifi_scan(void* ctx, const char* ssid, espfab_ft_ap* aps, size_t capacity, size_t* count) {
  (void)ctx;
  static char error[64];
  static wifi_ap_record_t records[ESPFAB_FT_MAX_APS];
  const char* failed = wifi_start();
  if (failed != NULL) return failed;
  wifi_scan_config_t scan;
  memset(&scan, 0, sizeof scan);
  scan.ssid = (uint8_t*)ssid;
  scan.show_hidden = false;
  esp_err_t err = esp_wifi_scan_start(&scan, true);
  uint16_t found = (uint16_t)(capacity < ESPFAB_FT_MAX_APS ? capacity : ESPFAB_FT_MAX_APS);
  if (err == ESP_OK) err = esp_wifi_scan_get_ap_records(&found, records);
  if (err != ESP_OK) {
    snprintf(error, sizeof error, "Wi-Fi scan: %s", esp_err_to_name(err));
    return error;
  }
  for (uint16_t i = 0; i < found; ++i) {
    memcpy(aps[i].ssid, records[i].ssid, 32);
    aps[i].ssid[32] = '\0';
    aps[i].rssi = records[i].rssi;
    aps[i].channel = records[i].primary;
  }
  *count = found;
  return NULL;
}
