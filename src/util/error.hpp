// The one error type of espfab: a kind, a stable dotted code, a message, a hint with the fix, and
// the context callers add on the way up ("while writing bootloader at 0x0").
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace espfab {

// Stable: the CLI maps kinds to exit codes and scripts branch on them.
enum class ErrorKind {
  Timeout,
  Protocol,
  DeviceStatus,
  BadInput,
  PolicyRefusal,
  Io,
  Crypto,
  Database,
  Internal,
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string code, std::string message, std::string hint = {});

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& hint() const noexcept { return hint_; }
  const std::vector<std::string>& context() const noexcept { return context_; }

  // Adds "while ..." context, innermost first. Each subclass returns its own type, so
  // `throw TimeoutError(...).with_context(...)` throws a TimeoutError. A caught error keeps its
  // type only when rethrown as it is: `catch (Error& e) { e.with_context(...); throw; }`
  // (`throw e.with_context(...)` would throw a copy of the static type, a plain Error).
  Error& with_context(std::string context);

  // "message (while a; while b)" without the hint: what a log line or a record shows.
  std::string describe() const;

 private:
  void refresh_what();

  ErrorKind kind_;
  std::string code_;
  std::string message_;
  std::string hint_;
  std::vector<std::string> context_;
};

// One subclass per kind so callers can catch what they can handle. (A class name cannot be
// parenthesised: the macro-parentheses check does not apply.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ESPFAB_ERROR_SUBCLASS(Name, Kind)                                                 \
  class Name : public Error {                                                             \
   public:                                                                                \
    Name(std::string code, std::string message, std::string hint = {})                    \
        : Error(ErrorKind::Kind, std::move(code), std::move(message), std::move(hint)) {} \
    Name& with_context(std::string context) {                                             \
      Error::with_context(std::move(context));                                            \
      return *this;                                                                       \
    }                                                                                     \
  };
// NOLINTEND(bugprone-macro-parentheses)

ESPFAB_ERROR_SUBCLASS(TimeoutError, Timeout)
ESPFAB_ERROR_SUBCLASS(ProtocolError, Protocol)
ESPFAB_ERROR_SUBCLASS(DeviceStatusError, DeviceStatus)
ESPFAB_ERROR_SUBCLASS(BadInputError, BadInput)
ESPFAB_ERROR_SUBCLASS(PolicyRefusalError, PolicyRefusal)
ESPFAB_ERROR_SUBCLASS(IoError, Io)
ESPFAB_ERROR_SUBCLASS(CryptoError, Crypto)
ESPFAB_ERROR_SUBCLASS(DatabaseError, Database)
ESPFAB_ERROR_SUBCLASS(InternalError, Internal)

#undef ESPFAB_ERROR_SUBCLASS

}  // namespace espfab
