#include "station/error_policy.hpp"

namespace espfab::station {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Codes of the device's link: the port, the loader protocol, the flasher.
bool link_code(std::string_view code) {
  return starts_with(code, "transport.") || starts_with(code, "loader.") || starts_with(code, "flash.");
}

}  // namespace

ErrorPolicy error_policy(ErrorKind kind, std::string_view code) {
  switch (kind) {
    case ErrorKind::Timeout:
      if (starts_with(code, "pki.") || starts_with(code, "registry.")) {
        return {ErrorSide::Station, ErrorAction::StopStation, "a server of the station (CA, broker) does not answer"};
      }
      return {ErrorSide::Device, ErrorAction::RetryThenBlameDevice, "the device or its link did not answer in time"};
    case ErrorKind::Protocol:
      return {ErrorSide::Device, ErrorAction::RetryThenBlameDevice, "garbled or unexpected bytes on the device's link"};
    case ErrorKind::DeviceStatus:
      return {ErrorSide::Device, ErrorAction::RetryThenBlameDevice, "the device answered with an error status"};
    case ErrorKind::Io:
      if (link_code(code)) {
        return {ErrorSide::Device, ErrorAction::RetryThenBlameDevice, "the device's port or link failed"};
      }
      return {ErrorSide::Station, ErrorAction::StopStation,
              "the station's disk, files or servers failed (a full disk, an unreachable CA)"};
    case ErrorKind::BadInput:
      return {ErrorSide::Device, ErrorAction::BlameDevice,
              "what the device holds or reports cannot be used (the profile itself was checked before the run)"};
    case ErrorKind::PolicyRefusal:
      return {ErrorSide::Device, ErrorAction::BlameDevice,
              "the device's state is not one the station may work on (the eFuse planner's refusals)"};
    case ErrorKind::Crypto:
      return {ErrorSide::Station, ErrorAction::StopFixture, "a key or certificate operation of the station failed"};
    case ErrorKind::Database:
      return {ErrorSide::Station, ErrorAction::StopStation, "the station DB failed: nothing more can be recorded"};
    case ErrorKind::Internal: return {ErrorSide::Station, ErrorAction::StopFixture, "a bug in espfab"};
  }
  return {ErrorSide::Station, ErrorAction::StopFixture, "an unknown error kind"};
}

bool link_error(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::Timeout:
    case ErrorKind::Protocol:
    case ErrorKind::DeviceStatus:
    case ErrorKind::Io: return link_code(error.code());
    default: return false;
  }
}

std::string_view to_string(ErrorAction action) {
  switch (action) {
    case ErrorAction::RetryThenBlameDevice: return "retry, then reject (fault once irreversible)";
    case ErrorAction::BlameDevice: return "reject (fault once irreversible)";
    case ErrorAction::StopFixture: return "stop the fixture, device resumable";
    case ErrorAction::StopStation: return "stop the station, device resumable";
  }
  return "?";
}

std::string_view to_string(ErrorSide side) { return side == ErrorSide::Device ? "device" : "station"; }

}  // namespace espfab::station
