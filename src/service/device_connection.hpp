// One device reached through its ROM loader (or stub) for one operation, as the CLI's device
// commands use it: the link opened from the port URL, a ready session through the same connect
// path as the station's fixtures (loader/connection_settings.hpp), and the after-reset once the
// operation succeeded.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "loader/auto_baud.hpp"
#include "loader/connection_settings.hpp"
#include "loader/reset.hpp"
#include "loader/session.hpp"
#include "transport/transport.hpp"

namespace espfab::service {

class DeviceConnection {
 public:
  // Throws BadInputError("cli.no_port") without a port, and whatever connecting throws.
  explicit DeviceConnection(const loader::ConnectionSettings& settings);
  loader::Session& session() { return *session_; }
  transport::Transport& link() { return *link_; }
  // The after-reset (--after): call once the operation succeeded.
  void finish(loader::AfterReset after) { session_->finish(after); }
  // With auto baud: the rungs tried (the last one passed); empty with a fixed rate.
  const std::vector<loader::BaudAttempt>& baud_attempts() const noexcept { return baud_attempts_; }

 private:
  std::unique_ptr<transport::Transport> link_;
  std::optional<loader::Session> session_;
  std::vector<loader::BaudAttempt> baud_attempts_;
};

}  // namespace espfab::service
