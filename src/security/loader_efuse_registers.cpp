#include "security/loader_efuse_registers.hpp"

#include <openssl/crypto.h>

#include <chrono>
#include <thread>
#include <vector>

#include "chip/esp32s3.hpp"

namespace espfab::security {

namespace {

// Wipes a WRITE_REG's records and payload however the command ends: program data may be key bits.
struct WipeOnExit {
  std::vector<loader::RegisterWrite>& records;
  loader::Command& command;
  WipeOnExit(std::vector<loader::RegisterWrite>& r, loader::Command& c) : records(r), command(c) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  WipeOnExit(WipeOnExit&&) = delete;
  WipeOnExit& operator=(WipeOnExit&&) = delete;
  ~WipeOnExit() {
    OPENSSL_cleanse(records.data(), records.size() * sizeof(loader::RegisterWrite));
    OPENSSL_cleanse(command.payload.data(), command.payload.size());
  }
};

}  // namespace

std::uint32_t LoaderEfuseRegisters::read(std::uint32_t address) { return client_.read_reg(address); }

void LoaderEfuseRegisters::write(std::uint32_t address, std::uint32_t value) { client_.write_reg(address, value); }

void LoaderEfuseRegisters::pause(unsigned milliseconds) {
  // A register round trip over the serial link already takes about a millisecond; sleep anyway so
  // the controller's read refresh has its time on any link.
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

void LoaderEfuseRegisters::write_all(std::span<const EfuseRegisterWrite> writes, unsigned pause_after_ms) {
  std::vector<loader::RegisterWrite> records;
  records.reserve(writes.size() + 1);
  for (const auto& w : writes) records.push_back({w.address, w.value});
  if (pause_after_ms != 0) {
    // The chip waits: a record's delay passes before its write, and a record for the read-only
    // UART_DATE_REG with mask 0 writes nothing (what esptool does for a delay after a write).
    records.push_back({chip::kEsp32s3.registers.uart_date_reg, 0, 0, std::chrono::milliseconds(pause_after_ms)});
  }
  loader::Command command = loader::commands::write_reg(records);
  const WipeOnExit wipe{records, command};
  client_.command(command);
}

}  // namespace espfab::security
