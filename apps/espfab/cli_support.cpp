#include "cli_support.hpp"

#include <fmt/format.h>

#include <cctype>
#include <iostream>
#include <ostream>

namespace espfab::cli {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadInput: return kExitBadInput;
    case ErrorKind::Timeout: return kExitTimeout;
    case ErrorKind::Protocol: return kExitProtocol;
    case ErrorKind::DeviceStatus: return kExitDeviceStatus;
    case ErrorKind::PolicyRefusal: return kExitPolicyRefusal;
    case ErrorKind::Io: return kExitIo;
    case ErrorKind::Crypto: return kExitCrypto;
    case ErrorKind::Database: return kExitDatabase;
    case ErrorKind::Internal: return kExitInternal;
  }
  return kExitInternal;
}

void print_error(std::ostream& err, const Error& error) {
  err << "error[" << error.code() << "]: " << error.describe() << "\n";
  if (!error.hint().empty()) err << "  hint: " << error.hint() << "\n";
}

nlohmann::json error_to_json(const Error& error) {
  return {{"error",
           {{"kind", std::string(to_string(error.kind()))},
            {"code", error.code()},
            {"message", error.message()},
            {"hint", error.hint()},
            {"context", error.context()}}}};
}

void report_error(const Error& error, bool json) {
  print_error(std::cerr, error);
  if (json) {
    std::cout << error_to_json(error).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
}

std::uint32_t parse_u32(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return BadInputError("cli.bad_number", fmt::format("{} '{}' is not a number", what, text),
                         "write it as decimal (4096), hex (0x1000) or with a K/M suffix (4K, 1M)");
  };
  if (text.empty()) throw bad();
  std::string digits = text;
  std::uint64_t multiplier = 1;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
  if (last == 'K' || last == 'M') {
    multiplier = last == 'K' ? 1024 : 1024 * 1024;
    digits.pop_back();
  }
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(digits, &used, 0);
  } catch (const std::exception&) {
    throw bad();
  }
  if (used != digits.size() || digits.starts_with('-')) throw bad();
  const std::uint64_t total = value * multiplier;
  if (total > 0xFFFFFFFFull || (multiplier != 1 && value > 0xFFFFFFFFull / multiplier)) {
    throw BadInputError("cli.number_too_large", fmt::format("{} '{}' does not fit in 32 bits", what, text),
                        "ESP32-S3 addresses and sizes are below 4 GiB");
  }
  return static_cast<std::uint32_t>(total);
}

}  // namespace espfab::cli
