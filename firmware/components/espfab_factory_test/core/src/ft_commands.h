/* The built-in commands of protocol v1 (docs/firmware-contract.md, "Commands"). Internal. */
#ifndef ESPFAB_FT_COMMANDS_H
#define ESPFAB_FT_COMMANDS_H

#include "espfab_ft/ft_core.h"

/* info, gpio_loopback, adc_read, sensor, wifi_scan, mem_test, reboot. */
void espfab_ft_register_builtins(espfab_ft_core* core);

#endif /* ESPFAB_FT_COMMANDS_H */
