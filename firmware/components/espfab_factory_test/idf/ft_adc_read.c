/* Example test: ADC1 channel N (0-9 on the ESP32-S3) with 12 dB attenuation, calibrated by curve
 * fitting; `samples` one-shot readings give the mean, minimum and maximum in millivolts. */
#include <stdio.h>

#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_cali_scheme.h"
#include "esp_adc/adc_oneshot.h"
#include "espfab_factory_test.h"

const char* espfab_ft_idf_adc_read(void* ctx, int channel, int samples, espfab_ft_adc* result) {
  (void)ctx;
  static char error[64];
  if (channel < 0 || channel > 9) {
    snprintf(error, sizeof error, "channel %d is not an ADC1 channel (0-9)", channel);
    return error;
  }
  adc_oneshot_unit_handle_t unit = NULL;
  adc_cali_handle_t cali = NULL;
  const adc_oneshot_unit_init_cfg_t unit_config = {.unit_id = ADC_UNIT_1};
  const adc_oneshot_chan_cfg_t channel_config = {.atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
  const adc_cali_curve_fitting_config_t cali_config = {.unit_id = ADC_UNIT_1,
                                                       .chan = (adc_channel_t)channel,
                                                       .atten = ADC_ATTEN_DB_12,
                                                       .bitwidth = ADC_BITWIDTH_DEFAULT};
  esp_err_t err = adc_oneshot_new_unit(&unit_config, &unit);
  if (err == ESP_OK) err = adc_oneshot_config_channel(unit, (adc_channel_t)channel, &channel_config);
  if (err == ESP_OK) err = adc_cali_create_scheme_curve_fitting(&cali_config, &cali);
  long sum = 0;
  int lowest = 0;
  int highest = 0;
  for (int i = 0; err == ESP_OK && i < samples; ++i) {
    int mv = 0;
    err = adc_oneshot_get_calibrated_result(unit, cali, (adc_channel_t)channel, &mv);
    sum += mv;
    if (i == 0 || mv < lowest) lowest = mv;
    if (i == 0 || mv > highest) highest = mv;
  }
  if (cali != NULL) adc_cali_delete_scheme_curve_fitting(cali);
  if (unit != NULL) adc_oneshot_del_unit(unit);
  if (err != ESP_OK) {
    snprintf(error, sizeof error, "ADC: %s", esp_err_to_name(err));
    return error;
  }
  result->mv = (int32_t)(sum / samples);
  result->min_mv = lowest;
  result->max_mv = highest;
  return NULL;
}
