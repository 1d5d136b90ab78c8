// The dashboard's logged-in sessions: a random 256-bit session id (the cookie, HttpOnly,
// SameSite=Strict) with its user, role and CSRF token (sent back by the page in X-CSRF-Token on
// every POST). Sessions live in memory only and end after 12 h or at logout.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "web/users_file.hpp"

namespace espfab::web {

struct Session {
  std::string user;
  Role role = Role::Operator;
  std::string csrf;
  std::chrono::steady_clock::time_point expires;
};

class Sessions {
 public:
  // The new session's id.
  std::string open(const UserEntry& user);
  std::optional<Session> find(const std::string& id);
  void close(const std::string& id);

 private:
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

// 32 random bytes as hex.
std::string random_token();

}  // namespace espfab::web
