// The chip's HMAC accelerator (docs/emulator.md, "HMAC and DS peripherals"): HMAC-SHA256 keyed by
// an eFuse key block, never by software. The key block's KEY_PURPOSE must match the mode, as the
// accelerator checks before it computes:
// - upstream (software gets the result): HMAC_UP (8) only;
// - downstream to the Digital Signature peripheral: HMAC_DOWN_DIGITAL_SIGNATURE (7) or
//   HMAC_DOWN_ALL (5); the message is fixed (32 x 0xFF) and the result goes to the DS only;
// - downstream to JTAG: HMAC_DOWN_JTAG (6) or HMAC_DOWN_ALL (5); message 32 x 0x00, the result is
//   compared with the token software writes and only "unlocked or not" comes out.
// Key blocks are read from the eFuse array itself: read protection (RD_DIS) hides a block from
// software reads, not from the accelerator.
#pragma once

#include <array>
#include <cstdint>

#include <tl/expected.hpp>

#include "chip/esp32s3_ds.hpp"
#include "emulator/efuse_controller.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {

enum class HmacError {
  NoSuchKey,           // key id above 5 (the driver refuses it: ESP_ERR_INVALID_ARG)
  KeyPurposeMismatch,  // the block's purpose does not allow the mode (esp_hmac_calculate: ESP_FAIL)
};

using HmacResult = std::array<std::uint8_t, chip::esp32s3_ds::kHmacResultSize>;

class DsPeripheral;

class HmacPeripheral {
 public:
  explicit HmacPeripheral(const EfuseController& efuse) : efuse_(efuse) {}

  // Upstream mode (esp_hmac_calculate): key_id 0..5 = BLOCK_KEY0..5.
  tl::expected<HmacResult, HmacError> upstream(unsigned key_id, ByteView message) const;
  // Downstream to JTAG (esp_hmac_jtag_enable): whether `token` is the HMAC of 32 zero bytes, i.e.
  // whether a soft-disabled JTAG would be re-enabled.
  tl::expected<bool, HmacError> jtag_token_matches(unsigned key_id, ByteView token) const;

 private:
  friend class DsPeripheral;
  // Downstream to the DS: the AES key for its parameters. Only the DS calls this.
  tl::expected<SecretBytes, HmacError> ds_key(unsigned key_id) const;

  const EfuseController& efuse_;
};

}  // namespace espfab::emulator
