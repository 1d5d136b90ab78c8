// What every subcommand shares: exit codes, error printing, JSON/TTY output helpers.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "util/error.hpp"

namespace espfab::cli {

// Exit codes (documented in docs/cli.md). Stable: scripts branch on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,  // the command ran and found the input invalid (image checksum, ...)
  kExitBadInput = 2,
  kExitTimeout = 3,
  kExitProtocol = 4,
  kExitDeviceStatus = 5,
  kExitPolicyRefusal = 6,
  kExitIo = 7,
  kExitCrypto = 8,
  kExitDatabase = 9,
  kExitUsage = 64,
  kExitInternal = 70,
};

int exit_code_for(ErrorKind kind);

// "error[image.bad_magic]: ...\n  hint: ..." on stderr.
void print_error(std::ostream& err, const Error& error);
nlohmann::json error_to_json(const Error& error);

// How main() reports every error a command throws: print_error on stderr and, when the user asked
// for --json, error_to_json on stdout too. Commands never print their errors themselves.
void report_error(const Error& error, bool json);

// Thrown by a command callback to end with a given exit code after it printed its result.
struct ExitRequest {
  int code;
};

// Parses "0x1000", "4096", "64K", "1M" as a 32-bit address/size; throws BadInputError naming `what`.
std::uint32_t parse_u32(const std::string& text, const std::string& what);

}  // namespace espfab::cli
