/* Example test: memory. "psram": a write/read-back pattern over the largest free PSRAM block
 * (bytes: the PSRAM size; a module without PSRAM fails); "flash": reads a 4 KiB sector in every
 * 64 KiB of the chip (bytes: the flash size). */
#include <stdlib.h>
#include <string.h>

#include "esp_flash.h"
#include "esp_heap_caps.h"
#include "espfab_factory_test.h"
#include "sdkconfig.h"
#if CONFIG_SPIRAM
#include "esp_psram.h"
#endif

static bool pattern_test(uint32_t* words, size_t count) {
  for (size_t i = 0; i < count; ++i) words[i] = (uint32_t)i * 2654435761u ^ 0xA5A5A5A5u;
  for (size_t i = 0; i < count; ++i) {
    if (words[i] != ((uint32_t)i * 2654435761u ^ 0xA5A5A5A5u)) return false;
  }
  for (size_t i = 0; i < count; ++i) words[i] = ~words[i];
  for (size_t i = 0; i < count; ++i) {
    if (words[i] != ~((uint32_t)i * 2654435761u ^ 0xA5A5A5A5u)) return false;
  }
  return true;
}

static const char* psram_test(espfab_ft_mem* result) {
  result->pass = false;
  result->bytes = 0;
#if CONFIG_SPIRAM
  if (!esp_psram_is_initialized()) return NULL;
  result->bytes = (uint32_t)esp_psram_get_size();
  const size_t block = heap_caps_get_largest_free_block(MALLOC_CAP_SPIRAM) & ~(size_t)3;
  uint32_t* words = heap_caps_malloc(block, MALLOC_CAP_SPIRAM);
  if (words == NULL) return NULL;
  result->pass = pattern_test(words, block / 4);
  heap_caps_free(words);
#endif
  return NULL;
}

static const char* flash_test(espfab_ft_mem* result) {
  static uint8_t sector[4096];
  uint32_t size = 0;
  result->pass = false;
  result->bytes = 0;
  if (esp_flash_get_size(NULL, &size) != ESP_OK) return "flash size unknown";
  result->bytes = size;
  for (uint32_t address = 0; address < size; address += 0x10000) {
    if (esp_flash_read(NULL, sector, address, sizeof sector) != ESP_OK) return NULL;
  }
  result->pass = true;
  return NULL;
}

const char* espfab_ft_idf_mem_test(void* ctx, const char* region, espfab_ft_mem* result) {
  (void)ctx;
  if (strcmp(region, "psram") == 0) return psram_test(result);
  return flash_test(result);
}
