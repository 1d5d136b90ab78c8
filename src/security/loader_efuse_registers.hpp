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

 private:
  loader::LoaderClient& client_;
};

}  // namespace espfab::security
