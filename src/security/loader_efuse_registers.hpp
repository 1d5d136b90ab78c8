// The burn executor's register seam over a loader session: READ_REG / WRITE_REG to the device's
// eFuse controller (what espefuse does through esptool).
#pragma once

#include "loader/client.hpp"
#include "security/efuse_burner.hpp"

namespace espfab::security {

class LoaderEfuseRegisters : public EfuseRegisters {
 public:
  explicit LoaderEfuseRegisters(loader::LoaderClient& client) : client_(client) {}
  std::uint32_t read(std::uint32_t address) override;
  void write(std::uint32_t address, std::uint32_t value) override;
  void pause(unsigned milliseconds) override;
  // One WRITE_REG with a record per write (and a delay record for the pause): one round trip.
  void write_all(std::span<const EfuseRegisterWrite> writes, unsigned pause_after_ms) override;

 private:
  loader::LoaderClient& client_;
};

}  // namespace espfab::security
