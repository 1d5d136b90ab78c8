/* The primary console as a byte stream for the factory-test protocol: reads through the UART or
 * USB-Serial-JTAG driver, writes whole lines through stdout so that they never interleave with
 * log lines (newlib locks stdout per call). Internal to the component. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"

esp_err_t ft_console_open(void);
/* Bytes received within `timeout`; 0 when none. */
size_t ft_console_read(uint8_t* buf, size_t len, TickType_t timeout);
/* One whole line, its "\r\n" included (the core's write callback). */
void ft_console_write(void* ctx, const char* data, size_t len);
/* Waits until everything written has left the chip (before a restart). */
void ft_console_flush(void);
