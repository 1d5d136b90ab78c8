#include "web/sessions.hpp"

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::web {

constexpr std::chrono::hours kSessionLife{12};

std::string random_token() {
  const auto bytes = crypto::random_secret(32);
  return to_hex(ByteView(bytes.data(), bytes.size()));
}

std::string Sessions::open(const UserEntry& user) {
  std::string id = random_token();
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expires < now; });
  sessions_[id] = {user.name, user.role, random_token(), now + kSessionLife};
  return id;
}

std::optional<Session> Sessions::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(id);
  if (found == sessions_.end() || found->second.expires < std::chrono::steady_clock::now()) return std::nullopt;
  return found->second;
}

void Sessions::close(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

}  // namespace espfab::web
