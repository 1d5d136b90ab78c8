/* Example sensor: the chip's internal temperature sensor (-10..80 C range), for
 * espfab_ft_add_sensor(core, "temp", "C", espfab_ft_idf_chip_temperature, NULL). */
#include "driver/temperature_sensor.h"
#include "espfab_factory_test.h"

const char* espfab_ft_idf_chip_temperature(void* ctx, double* value, bool* present) {
  (void)ctx;
  static temperature_sensor_handle_t sensor;
  if (sensor == NULL) {
    const temperature_sensor_config_t config = TEMPERATURE_SENSOR_CONFIG_DEFAULT(-10, 80);
    if (temperature_sensor_install(&config, &sensor) != ESP_OK) {
      *present = false;
      return NULL;
    }
    if (temperature_sensor_enable(sensor) != ESP_OK) return "temperature sensor: enable failed";
  }
  float celsius = 0.0f;
  if (temperature_sensor_get_celsius(sensor, &celsius) != ESP_OK) return "temperature sensor: read failed";
  *value = celsius;
  *present = true;
  return NULL;
}
