// eFuse snapshots for the station DB and the device record: the raw read registers as JSON (so a
// resumed run plans from exactly the snapshot it planned from before), and the security fields
// an engineer looks at first.
#pragma once

#include <nlohmann/json.hpp>

#include "security/efuse_image.hpp"

namespace espfab::station {

nlohmann::json efuse_to_json(const security::EfuseImage& image);
// Throws BadInputError ("station.efuse_snapshot") for JSON that is not such a snapshot.
security::EfuseImage efuse_from_json(const nlohmann::json& json);
// {"SPI_BOOT_CRYPT_CNT": 7, "SECURE_BOOT_EN": 1, "KEY_PURPOSE_0": 4, ...}
nlohmann::json efuse_security_fields(const security::EfuseImage& image);

}  // namespace espfab::station
