/* The console the factory-test protocol runs on: the one sdkconfig selects
 * (CONFIG_ESP_CONSOLE_UART* or CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG). */
#include "ft_console.h"

#include <stdio.h>

#include "esp_idf_version.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
#include "driver/usb_serial_jtag.h"
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
#include "driver/usb_serial_jtag_vfs.h"
#else
#include "esp_vfs_usb_serial_jtag.h"
#endif
#else
#include "driver/uart.h"
#endif

esp_err_t ft_console_open(void) {
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  usb_serial_jtag_driver_config_t config = USB_SERIAL_JTAG_DRIVER_CONFIG_DEFAULT();
  config.rx_buffer_size = 2048;
  esp_err_t err = usb_serial_jtag_driver_install(&config);
  if (err != ESP_OK) return err;
    /* stdout through the driver too: the driver and the polling VFS must not share the FIFO. */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 3, 0)
  usb_serial_jtag_vfs_use_driver();
#else
  esp_vfs_usb_serial_jtag_use_driver();
#endif
  return ESP_OK;
#else
  /* RX through the driver; stdout keeps the console's own path (logs and replies share its lock). */
  if (uart_is_driver_installed(CONFIG_ESP_CONSOLE_UART_NUM)) return ESP_OK;
  return uart_driver_install(CONFIG_ESP_CONSOLE_UART_NUM, 2048, 0, 0, NULL, 0);
#endif
}

size_t ft_console_read(uint8_t* buf, size_t len, TickType_t timeout) {
#if CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  const int n = usb_serial_jtag_read_bytes(buf, (uint32_t)len, timeout);
#else
  const int n = uart_read_bytes(CONFIG_ESP_CONSOLE_UART_NUM, buf, (uint32_t)len, timeout);
#endif
  return n > 0 ? (size_t)n : 0;
}

void ft_console_write(void* ctx, const char* data, size_t len) {
  (void)ctx;
  fwrite(data, 1, len, stdout);
  fflush(stdout);
}

void ft_console_flush(void) {
  fflush(stdout);
#if !CONFIG_ESP_CONSOLE_USB_SERIAL_JTAG
  uart_wait_tx_done(CONFIG_ESP_CONSOLE_UART_NUM, pdMS_TO_TICKS(100));
#else
  vTaskDelay(pdMS_TO_TICKS(50)); /* the host polls the endpoint */
#endif
}
