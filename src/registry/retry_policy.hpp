// Bounded retries with exponential backoff for calls to the outside world: IoError, TimeoutError
// and ProtocolError are worth another try, anything else (bad input, a conflict) is not.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "util/error.hpp"

namespace espfab::registry {

struct RetryPolicy {
  unsigned attempts = 3;
  std::chrono::milliseconds backoff{500};  // before the 2nd attempt; doubled each time
  std::chrono::milliseconds max_backoff{10000};
};

bool is_transient(const Error& error);

// Runs `attempt` until it returns or the attempts are spent; the last error carries the count.
std::string with_retries(const RetryPolicy& policy, const std::function<std::string()>& attempt);

}  // namespace espfab::registry
