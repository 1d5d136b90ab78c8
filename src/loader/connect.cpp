#include "loader/connect.hpp"

#include <fmt/format.h>

#include <charconv>

#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::loader {

namespace {

using namespace std::chrono_literals;

constexpr unsigned kSyncReplies = 8;
constexpr std::chrono::milliseconds kSyncFollowUpTimeout = 100ms;
constexpr std::chrono::milliseconds kSyncRetryPause = 50ms;

std::string collect_boot_log(LoaderClient& client, const ConnectOptions& options) {
  const Deadline window(options.boot_log_window);
  while (!window.expired()) {
    const auto quiet = std::min<Deadline::Clock::duration>(options.boot_log_quiet, window.remaining());
    if (!client.read_frame(Deadline(quiet))) break;  // frames before SYNC are stale; drop them
  }
  return client.take_noise();
}

std::string no_sync_hint(const BootLogFindings& findings) {
  if (findings.boot_mode && !findings.waiting_for_download) {
    return fmt::format(
        "wrong boot mode detected (boot:0x{:x}): the chip booted normally instead of entering download mode; hold "
        "BOOT (GPIO0) low while resetting, or check the fixture's auto-reset wiring",
        *findings.boot_mode);
  }
  if (findings.waiting_for_download) {
    return "download mode was detected but the chip does not answer SYNC: check the TX/RX wiring and that nothing "
           "else uses the port";
  }
  return "check that the fixture is powered and in download mode (hold BOOT while resetting), the port is right and "
         "no other program uses it; over socket:// the chip is not reset, so it must already wait for download";
}

}  // namespace

BootLogFindings scan_boot_log(std::string_view text) {
  BootLogFindings findings;
  const auto at = text.find("boot:0x");
  if (at != std::string_view::npos) {
    const char* begin = text.data() + at + 7;
    const char* end = text.data() + text.size();
    unsigned value = 0;
    const auto [stop, error] = std::from_chars(begin, end, value, 16);
    if (error == std::errc() && stop != begin) findings.boot_mode = value;
  }
  findings.waiting_for_download = text.find("waiting for download") != std::string_view::npos;
  return findings;
}

Result<SyncReply> sync_once(LoaderClient& client) {
  try {
    client.send(commands::sync());
    auto first = client.wait_response(Opcode::Sync, Deadline(kSyncTimeout));
    if (!first) return make_unexpected(TimeoutError("loader.no_sync_reply", "no reply to SYNC"));
    SyncReply reply{first->value == 0, 1};
    while (reply.responses < kSyncReplies) {
      auto next = client.wait_response(Opcode::Sync, Deadline(kSyncFollowUpTimeout));
      if (!next) break;
      reply.stub = reply.stub && next->value == 0;
      ++reply.responses;
    }
    return reply;
  } catch (const Error& error) {
    return make_unexpected(error);
  }
}

ConnectResult connect(LoaderClient& client, const ConnectOptions& options) {
  const auto logger = log::get("loader");
  auto& link = client.link();
  if (options.before == BeforeReset::NoResetNoSync) {
    logger->debug("{}: no reset, no sync", link.describe());
    return ConnectResult{false, 0, "none", {}};
  }
  // As esptool: default_reset on a USB-Serial/JTAG port means its own sequence.
  const BeforeReset before =
      options.before == BeforeReset::DefaultReset && link.usb_serial_jtag() ? BeforeReset::UsbReset : options.before;
  const auto strategies = connect_strategies(before, options.classic_only);
  std::string boot_log;
  std::string last_error = "no reply";
  for (unsigned attempt = 1; attempt <= std::max(1u, options.attempts); ++attempt) {
    const ResetStrategy& strategy = strategies[(attempt - 1) % strategies.size()];
    if (!strategy.steps.empty()) {
      if (run_reset(link, strategy, options.sleep)) {
        std::string text = collect_boot_log(client, options);
        if (!text.empty()) {
          logger->debug("boot log after {} reset: {}", strategy.name, text);
          boot_log = std::move(text);
        }
      } else {
        logger->debug("{}: no control lines, connecting without reset", link.describe());
      }
    }
    for (unsigned tries = 0; tries < std::max(1u, options.sync_tries); ++tries) {
      client.drain();
      link.flush_output();
      auto reply = sync_once(client);
      if (reply) {
        client.drain();
        client.set_mode(reply->stub ? LoaderMode::Stub : LoaderMode::Rom);
        logger->debug("{}: synced on attempt {} ({}), {} replies, {}", link.describe(), attempt, strategy.name,
                      reply->responses, reply->stub ? "stub running" : "ROM loader");
        return ConnectResult{reply->stub, attempt, strategy.name, boot_log};
      }
      last_error = reply.error().message();
      options.sleep(kSyncRetryPause);
    }
    logger->debug("{}: attempt {} ({}) failed: {}", link.describe(), attempt, strategy.name, last_error);
  }
  throw TimeoutError("loader.no_sync_reply",
                     fmt::format("no sync reply from {} after {} connection attempts ({})", link.describe(),
                                 options.attempts, last_error),
                     no_sync_hint(scan_boot_log(boot_log)));
}

}  // namespace espfab::loader
