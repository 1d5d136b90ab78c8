#include "security/loader_efuse_registers.hpp"

#include <chrono>
#include <thread>

namespace espfab::security {

std::uint32_t LoaderEfuseRegisters::read(std::uint32_t address) { return client_.read_reg(address); }

void LoaderEfuseRegisters::write(std::uint32_t address, std::uint32_t value) { client_.write_reg(address, value); }

void LoaderEfuseRegisters::pause(unsigned milliseconds) {
  // A register round trip over the serial link already takes about a millisecond; sleep anyway so
  // the controller's read refresh has its time on any link.
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

}  // namespace espfab::security
