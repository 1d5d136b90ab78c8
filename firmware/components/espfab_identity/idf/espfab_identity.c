/* Reads the device certificate from its container and logs the identity line the station's
 * verify-boot step reads; the line itself is the portable core's (espfab_identity/identity_line.h). */
#include "espfab_identity.h"

#include <stdlib.h>
#include <string.h>

#include "esp_flash_encrypt.h"
#include "esp_log.h"
#include "esp_secure_boot.h"
#include "esp_secure_cert_read.h"
#include "espfab_identity/identity_line.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

#if defined(CONFIG_LOG_MAXIMUM_LEVEL) && CONFIG_LOG_MAXIMUM_LEVEL < 3
#error "espfab_identity logs at INFO: set CONFIG_LOG_MAXIMUM_LEVEL to INFO or higher"
#endif

static const char* TAG = ESPFAB_IDENTITY_LOG_TAG;

/* Logs the line for `cert` (PEM or DER); `where` names the container in the failure line. */
static esp_err_t print_identity(const uint8_t* cert, size_t len, const char* where) {
  esp_log_level_set(TAG, ESP_LOG_INFO); /* the line must come out whatever the default level is */
  uint8_t* work = malloc(len > 0 ? len : 1);
  if (work == NULL) return ESP_ERR_NO_MEM;
  char message[ESPFAB_IDENTITY_MESSAGE_MAX];
  const espfab_identity_security security = {esp_flash_encryption_enabled(), esp_secure_boot_enabled()};
  const espfab_identity_status status =
      espfab_identity_message(cert, len, NULL, security, work, len, message, sizeof message);
  free(work);
  if (status != ESPFAB_IDENTITY_OK) {
    ESP_LOGW(TAG, "no device certificate in %s (%s)", where, espfab_identity_status_text(status));
    return ESP_ERR_INVALID_RESPONSE;
  }
  ESP_LOGI(TAG, "%s", message);
  return ESP_OK;
}

esp_err_t espfab_identity_print_from_secure_cert(void) {
  char* cert = NULL;
  uint32_t len = 0;
  if (esp_secure_cert_get_device_cert(&cert, &len) != ESP_OK || cert == NULL) {
    esp_log_level_set(TAG, ESP_LOG_INFO);
    ESP_LOGW(TAG, "no device certificate in esp_secure_cert partition");
    return ESP_ERR_NOT_FOUND;
  }
  const esp_err_t err = print_identity((const uint8_t*)cert, len, "esp_secure_cert partition");
  esp_secure_cert_free_device_cert(cert);
  return err;
}

static esp_err_t open_nvs(const char* partition, bool encrypted) {
  if (!encrypted) return nvs_flash_init_partition(partition);
  const esp_partition_t* keys =
      esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_NVS_KEYS, NULL);
  if (keys == NULL) return ESP_ERR_NOT_FOUND;
  nvs_sec_cfg_t config;
  esp_err_t err = nvs_flash_read_security_cfg(keys, &config);
  if (err != ESP_OK) return err;
  return nvs_flash_secure_init_partition(partition, &config);
}

esp_err_t espfab_identity_print_from_nvs(const char* partition, const char* name_space, const char* key,
                                         bool encrypted) {
  nvs_handle_t handle = 0;
  size_t len = 0;
  char* cert = NULL;
  esp_err_t err = open_nvs(partition, encrypted);
  if (err == ESP_OK) err = nvs_open_from_partition(partition, name_space, NVS_READONLY, &handle);
  if (err == ESP_OK) err = nvs_get_str(handle, key, NULL, &len);
  if (err == ESP_OK) {
    cert = malloc(len);
    err = cert == NULL ? ESP_ERR_NO_MEM : nvs_get_str(handle, key, cert, &len);
  }
  if (handle != 0) nvs_close(handle);
  if (err != ESP_OK) {
    esp_log_level_set(TAG, ESP_LOG_INFO);
    ESP_LOGW(TAG, "no device certificate in NVS %s/%s/%s (%s)", partition, name_space, key, esp_err_to_name(err));
    free(cert);
    return err;
  }
  err = print_identity((const uint8_t*)cert, len, "NVS");
  free(cert);
  return err;
}
