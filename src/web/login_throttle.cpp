#include "web/login_throttle.hpp"

#include <algorithm>
#include <cctype>

namespace espfab::web {
namespace {

// A user name longer than any valid one (users_file: 1..32 characters) is keyed by its start, so a
// guesser's long names cannot grow the map's keys.
constexpr std::size_t kMaxUserKey = 33;

std::string user_key(const std::string& user) { return user.substr(0, kMaxUserKey); }

// A name as the log may show it: what a guesser typed could hold control characters or a line
// break (a forged log line); anything outside a user name's characters shows as '?'.
std::string loggable(std::string text) {
  std::replace_if(
      text.begin(), text.end(),
      [](char c) {
        return !(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' || c == ':');
      },
      '?');
  return text;
}

}  // namespace

std::optional<std::chrono::seconds> LoginThrottle::refused_for(const std::string& user, const std::string& address,
                                                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Clock::time_point until{};
  if (const auto found = users_.find(user_key(user)); found != users_.end()) {
    until = std::max(until, found->second.locked_until);
  }
  if (const auto found = addresses_.find(address); found != addresses_.end()) {
    until = std::max(until, found->second.locked_until);
  }
  if (until <= now) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(until - now);
}

bool LoginThrottle::add_failure(Record& record, unsigned limit, Clock::time_point now) const {
  while (!record.failures.empty() && now - record.failures.front() >= limits_.window) record.failures.pop_front();
  record.failures.push_back(now);
  if (record.failures.size() < limit) return false;
  record.failures.clear();  // after the lockout the count starts afresh
  record.locked_until = now + limits_.lockout;
  return true;
}

void LoginThrottle::forget_old(Clock::time_point now) {
  const auto old = [&](const auto& entry) {
    const Record& record = entry.second;
    return record.locked_until <= now && (record.failures.empty() || now - record.failures.back() >= limits_.window);
  };
  std::erase_if(users_, old);
  std::erase_if(addresses_, old);
}

std::vector<std::string> LoginThrottle::failed(const std::string& user, const std::string& address,
                                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_old(now);
  std::vector<std::string> locked;
  if (add_failure(users_[user_key(user)], limits_.per_user, now)) locked.push_back("user " + loggable(user_key(user)));
  if (add_failure(addresses_[address], limits_.per_address, now)) locked.push_back("address " + loggable(address));
  return locked;
}

void LoginThrottle::succeeded(const std::string& user) {
  std::lock_guard lock(mutex_);
  users_.erase(user_key(user));
}

}  // namespace espfab::web
