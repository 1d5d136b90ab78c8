// The station's error policy (docs/errors.md): station-side errors never blame a device; a device's
// own link and replies are retried first; every kind has a rule.
#include "station/error_policy.hpp"

#include <gtest/gtest.h>

namespace espfab::station {
namespace {

TEST(ErrorPolicy, StationSideErrorsNeverBlameTheDevice) {
  for (const auto& [kind, code] : std::vector<std::pair<ErrorKind, std::string>>{
           {ErrorKind::Database, "station.db_step"},
           {ErrorKind::Internal, "station.bug"},
           {ErrorKind::Crypto, "pki.sign"},
           {ErrorKind::Io, "station.audit_write"},
           {ErrorKind::Io, "util.write_failed"},
           {ErrorKind::Io, "pki.cmp_unreachable"},
           {ErrorKind::Timeout, "pki.cmp_timeout"},
       }) {
    const auto policy = error_policy(kind, code);
    EXPECT_EQ(policy.side, ErrorSide::Station) << code;
    EXPECT_TRUE(policy.action == ErrorAction::StopFixture || policy.action == ErrorAction::StopStation) << code;
  }
}

TEST(ErrorPolicy, SharedResourcesStopTheWholeStation) {
  EXPECT_EQ(error_policy(ErrorKind::Database, "x").action, ErrorAction::StopStation);
  EXPECT_EQ(error_policy(ErrorKind::Io, "station.audit_write").action, ErrorAction::StopStation);
  EXPECT_EQ(error_policy(ErrorKind::Internal, "x").action, ErrorAction::StopFixture);
}

TEST(ErrorPolicy, TheDevicesLinkIsRetriedThenBlamesTheDevice) {
  for (const auto& [kind, code] : std::vector<std::pair<ErrorKind, std::string>>{
           {ErrorKind::Io, "transport.hang_up"},
           {ErrorKind::Io, "loader.x"},
           {ErrorKind::Io, "flash.x"},
           {ErrorKind::Timeout, "loader.no_reply"},
           {ErrorKind::Timeout, "station.ft_not_ready"},
           {ErrorKind::Protocol, "loader.bad_frame"},
           {ErrorKind::DeviceStatus, "loader.status"},
       }) {
    const auto policy = error_policy(kind, code);
    EXPECT_EQ(policy.side, ErrorSide::Device) << code;
    EXPECT_EQ(policy.action, ErrorAction::RetryThenBlameDevice) << code;
  }
  EXPECT_EQ(error_policy(ErrorKind::PolicyRefusal, "security.plan.x").action, ErrorAction::BlameDevice);
  EXPECT_EQ(error_policy(ErrorKind::BadInput, "station.secure_cert_too_big").action, ErrorAction::BlameDevice);
}

TEST(ErrorPolicy, EveryKindHasARuleWithAReason) {
  for (const auto kind :
       {ErrorKind::Timeout, ErrorKind::Protocol, ErrorKind::DeviceStatus, ErrorKind::BadInput, ErrorKind::PolicyRefusal,
        ErrorKind::Io, ErrorKind::Crypto, ErrorKind::Database, ErrorKind::Internal}) {
    EXPECT_FALSE(error_policy(kind, "any.code").why.empty()) << to_string(kind);
  }
}

}  // namespace
}  // namespace espfab::station
