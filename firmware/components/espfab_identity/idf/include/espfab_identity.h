/* espfab identity component for ESP-IDF (docs/firmware-contract.md in the espfab repository,
 * "The identity line"): prints
 *
 *   I (<ms>) espfab_identity: serial=<CN> cert_sha256=<hex> flash_encryption=on|off secure_boot=on|off
 *
 * from the device certificate in whichever identity container the station wrote: the
 * esp_secure_cert partition (esp_secure_cert_mgr) or an NVS partition. On failure it prints
 * "W (<ms>) espfab_identity: no device certificate ..." (verify-boot then stops the device). Call
 * it from app_main, before app_main returns. Not compiled in the espfab repository (no ESP-IDF
 * there): see README.md. */
#pragma once

#include <stdbool.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The device certificate from the esp_secure_cert partition. */
esp_err_t espfab_identity_print_from_secure_cert(void);

/* The device certificate from NVS: string `key` in namespace `name_space` of NVS partition
 * `partition` (the station's layout: "identity" / "dev_cert"). `encrypted`: the partition is
 * encrypted with the keys of the first nvs_keys partition. */
esp_err_t espfab_identity_print_from_nvs(const char* partition, const char* name_space, const char* key,
                                         bool encrypted);

#ifdef __cplusplus
}
#endif
