#include "registry/retry_policy.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::registry {

bool is_transient(const Error& error) {
  return error.kind() == ErrorKind::Io || error.kind() == ErrorKind::Timeout || error.kind() == ErrorKind::Protocol;
}

std::string with_retries(const RetryPolicy& policy, const std::function<std::string()>& attempt) {
  auto delay = policy.backoff;
  const unsigned attempts = std::max(1u, policy.attempts);
  for (unsigned i = 1;; ++i) {
    try {
      return attempt();
    } catch (Error& error) {
      if (!is_transient(error) || i == attempts) {
        if (i > 1) error.with_context(fmt::format("after {} attempts", i));
        throw;
      }
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, policy.max_backoff);
  }
}

}  // namespace espfab::registry
