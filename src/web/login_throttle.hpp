// The dashboard's answer to password guessing: after too many failed logins for one user name, or
// from one address, within a window, further logins for that name (or from that address) are
// refused for a while without checking any password (HTTP 429 with Retry-After). Thread-safe;
// the time is given by the caller, so tests need no clock. docs/dashboard.md.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace espfab::web {

struct LoginLimits {
  unsigned per_user = 5;             // failed logins for one user name within `window`
  unsigned per_address = 10;         // failed logins from one address within `window`, any names
  std::chrono::seconds window{60};   // how far back failures count
  std::chrono::seconds lockout{60};  // how long logins are refused after the limit was reached
};

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoginThrottle(LoginLimits limits = {}) : limits_(limits) {}

  // How much longer logins for `user` or from `address` are refused (rounded up to a second);
  // nullopt when they may try.
  std::optional<std::chrono::seconds> refused_for(const std::string& user, const std::string& address,
                                                  Clock::time_point now);
  // Records a failed login. Returns what it locked: "user NAME" and/or "address ADDR" (empty when
  // nothing reached its limit with this failure), for the log.
  std::vector<std::string> failed(const std::string& user, const std::string& address, Clock::time_point now);
  // A login that succeeded forgets the user name's failures (not the address's).
  void succeeded(const std::string& user);

 private:
  struct Record {
    std::deque<Clock::time_point> failures;  // within the window, oldest first
    Clock::time_point locked_until{};
  };
  // Adds a failure to `record`; true when it reached `limit` and locked the record.
  bool add_failure(Record& record, unsigned limit, Clock::time_point now) const;
  // Forgets records with no failure in the window and no lockout (the maps stay small).
  void forget_old(Clock::time_point now);

  LoginLimits limits_;
  std::mutex mutex_;
  std::map<std::string, Record> users_;
  std::map<std::string, Record> addresses_;
};

}  // namespace espfab::web
