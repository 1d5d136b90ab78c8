// The dashboard's HTTP(S) server (cpp-httplib): the page, its live state as server-sent events,
// device records and label previews (GET, open to anyone who can reach the address), and the
// actions (POST, only for a logged-in user of the right role, with the session's CSRF token). It
// runs on its own threads inside the station (or `espfab ui`) until stopped. docs/dashboard.md.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "web/dashboard_backend.hpp"
#include "web/fixture_board.hpp"
#include "web/login_throttle.hpp"

namespace espfab::web {

struct DashboardOptions {
  std::string address = "127.0.0.1";
  int port = 8460;                                       // 0: any free port (DashboardServer::port() says which)
  std::optional<std::filesystem::path> users;            // the users file; none: nobody can log in (a view)
  std::optional<std::filesystem::path> tls_certificate;  // both: HTTPS only
  std::optional<std::filesystem::path> tls_key;
  LoginLimits login_limits;  // failed logins before a user name or an address is refused for a while
};

class DashboardServer {
 public:
  // Binds and starts serving on a thread of its own. Throws BadInputError("ui.bind") when the
  // address cannot be bound, ("ui.tls") when the certificate or key cannot be loaded, and the users
  // file's errors (web/users_file.hpp) at once rather than at the first login.
  DashboardServer(DashboardOptions options, FixtureBoard& board, DashboardBackend& backend);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;
  DashboardServer(DashboardServer&&) = delete;
  DashboardServer& operator=(DashboardServer&&) = delete;

  int port() const;
  std::string url() const;  // "http://127.0.0.1:8460/"
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace espfab::web
