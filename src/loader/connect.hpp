// Connecting to the loader (docs/serial-protocol.md §4.1, §6): reset into download mode with each strategy in turn,
// read the boot log, then SYNC with retries. Tells whether the flasher stub already runs (every
// SYNC reply carries value 0).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "loader/client.hpp"
#include "loader/reset.hpp"
#include "util/result.hpp"

namespace espfab::loader {

struct ConnectOptions {
  BeforeReset before = BeforeReset::DefaultReset;
  bool classic_only = false;  // rfc2217 links: esptool uses only the classic pair there
  unsigned attempts = 7;      // outer attempts, cycling through the strategies
  unsigned sync_tries = 5;    // SYNCs per attempt
  Sleeper sleep = real_sleeper();
  // After a reset: read the boot log until it is quiet this long (or the window ends).
  std::chrono::milliseconds boot_log_quiet{50};
  std::chrono::milliseconds boot_log_window{500};
};

struct SyncReply {
  bool stub = false;       // every reply had value 0
  unsigned responses = 0;  // how many of the (usually 8) replies came
};

// One SYNC: the first reply within 100 ms, then the rest. An error value when none came.
Result<SyncReply> sync_once(LoaderClient& client);

struct ConnectResult {
  bool stub_detected = false;
  unsigned attempt = 0;  // 1-based attempt that synced
  std::string strategy;  // reset strategy used
  std::string boot_log;  // text seen after the last reset
};

// Throws TimeoutError loader.no_sync_reply when every attempt fails; the hint uses the boot log
// ("boot:0x.." without "waiting for download" = wrong strapping). Sets the client's mode.
ConnectResult connect(LoaderClient& client, const ConnectOptions& options);

// What the boot log says: the boot mode value after "boot:" and whether the ROM waits for a
// download. Both empty/false when the log shows neither.
struct BootLogFindings {
  std::optional<unsigned> boot_mode;
  bool waiting_for_download = false;
};
BootLogFindings scan_boot_log(std::string_view text);

}  // namespace espfab::loader
