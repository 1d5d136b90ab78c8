#include "util/error.hpp"

#include <utility>

namespace espfab {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Protocol: return "protocol";
    case ErrorKind::DeviceStatus: return "device-status";
    case ErrorKind::BadInput: return "bad-input";
    case ErrorKind::PolicyRefusal: return "policy-refusal";
    case ErrorKind::Io: return "io";
    case ErrorKind::Crypto: return "crypto";
    case ErrorKind::Database: return "database";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

Error::Error(ErrorKind kind, std::string code, std::string message, std::string hint)
    : std::runtime_error(message),
      kind_(kind),
      code_(std::move(code)),
      message_(std::move(message)),
      hint_(std::move(hint)) {
  refresh_what();
}

Error& Error::with_context(std::string context) {
  context_.push_back(std::move(context));
  refresh_what();
  return *this;
}

std::string Error::describe() const {
  std::string text = message_;
  if (!context_.empty()) {
    text += " (";
    for (std::size_t i = 0; i < context_.size(); ++i) {
      if (i != 0) text += "; ";
      text += "while " + context_[i];
    }
    text += ")";
  }
  return text;
}

void Error::refresh_what() { static_cast<std::runtime_error&>(*this) = std::runtime_error(describe()); }

}  // namespace espfab
