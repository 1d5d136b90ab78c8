/* Example test: GPIO loopback. OUT drives high, then low; IN is read each time with its pull set
 * against the driven level, so an open connection reads the pull and fails both ways. Pins that
 * carry the flash, the PSRAM or the console are refused rather than reconfigured. */
#include <stdio.h>

#include "driver/gpio.h"
#include "esp_rom_sys.h"
#include "espfab_factory_test.h"
#include "sdkconfig.h"

/* ESP32-S3: SPI flash/quad PSRAM 26-32, octal flash/PSRAM 33-37, USB D-/D+ 19/20, UART0 43/44. */
static bool reserved(int pin) {
  if (pin >= 26 && pin <= 32) return true;
#if CONFIG_SPIRAM_MODE_OCT || CONFIG_ESPTOOLPY_OCT_FLASH
  if (pin >= 33 && pin <= 37) return true;
#endif
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  if (pin == 19 || pin == 20) return true;
#else
  if (pin == 43 || pin == 44) return true;
#endif
  return false;
}

const char* espfab_ft_idf_gpio_loopback(void* ctx, int out, int in, espfab_ft_loopback* result) {
  (void)ctx;
  static char error[64];
  if (out == in) return "OUT and IN are the same pin";
  if (!GPIO_IS_VALID_OUTPUT_GPIO(out) || reserved(out)) {
    snprintf(error, sizeof error, "GPIO %d cannot be driven on this board", out);
    return error;
  }
  if (!GPIO_IS_VALID_GPIO(in) || reserved(in)) {
    snprintf(error, sizeof error, "GPIO %d cannot be read on this board", in);
    return error;
  }
  gpio_reset_pin((gpio_num_t)out);
  gpio_reset_pin((gpio_num_t)in);
  gpio_set_direction((gpio_num_t)out, GPIO_MODE_OUTPUT);
  gpio_set_direction((gpio_num_t)in, GPIO_MODE_INPUT);

  gpio_set_pull_mode((gpio_num_t)in, GPIO_PULLDOWN_ONLY);
  gpio_set_level((gpio_num_t)out, 1);
  esp_rom_delay_us(50);
  result->read_high = gpio_get_level((gpio_num_t)in) == 1;

  gpio_set_pull_mode((gpio_num_t)in, GPIO_PULLUP_ONLY);
  gpio_set_level((gpio_num_t)out, 0);
  esp_rom_delay_us(50);
  result->read_low = gpio_get_level((gpio_num_t)in) == 1;

  gpio_reset_pin((gpio_num_t)out);
  gpio_reset_pin((gpio_num_t)in);
  return NULL;
}
