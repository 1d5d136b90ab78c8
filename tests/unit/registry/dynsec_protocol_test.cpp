#include "registry/dynsec_protocol.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::registry::dynsec {
namespace {

TEST(DynsecProtocol, DeviceRoleAllowsOnlyItsOwnTopicTree) {
  const auto acls = device_role_acls("devices", "ESP-000123");
  ASSERT_EQ(acls.size(), 2u);
  EXPECT_EQ(acls[0]["acltype"], "publishClientSend");
  EXPECT_EQ(acls[0]["topic"], "devices/ESP-000123/#");
  EXPECT_EQ(acls[1]["acltype"], "subscribePattern");
  EXPECT_EQ(acls[1]["topic"], "devices/ESP-000123/#");
  EXPECT_TRUE(acls[1]["allow"].get<bool>());
  EXPECT_EQ(device_role_name("ESP-000123"), "espfab-device-ESP-000123");
}

TEST(DynsecProtocol, CreateClientCarriesRoleAndPin) {
  const auto command = create_client("ESP-1", "espfab-device-ESP-1", "7c:df:a1:00:00:01", pinned_certificate("ab"));
  EXPECT_EQ(command["command"], "createClient");
  EXPECT_EQ(command["username"], "ESP-1");
  EXPECT_EQ(command["roles"][0]["rolename"], "espfab-device-ESP-1");
  EXPECT_EQ(command["textdescription"], "cert-sha256:ab");
  EXPECT_FALSE(command.contains("password"));  // no password login for a certificate identity
}

TEST(DynsecProtocol, BatchTagsEveryCommand) {
  const auto batch = command_batch({get_client("a"), get_role("r")}, "f00d");
  ASSERT_EQ(batch["commands"].size(), 2u);
  EXPECT_EQ(batch["commands"][0]["correlationData"], "f00d-0");
  EXPECT_EQ(batch["commands"][1]["correlationData"], "f00d-1");
  EXPECT_EQ(batch["commands"][1]["command"], "getRole");
}

TEST(DynsecProtocol, ResponsesAreMatchedToTheirBatchInOrder) {
  // The shape mosquitto 2.0.11 answers with (cookbook §1), two batches interleaved.
  const auto all = parse_responses(
      R"({"responses":[{"command":"createClient","error":"Client already exists","correlationData":"aa-1"},)"
      R"({"command":"getClient","correlationData":"bb-0","data":{"client":{"username":"x"}}},)"
      R"({"command":"createRole","correlationData":"aa-0"}]})");
  const auto mine = responses_for(all, "aa");
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].command, "createRole");
  EXPECT_TRUE(mine[0].error.empty());
  EXPECT_EQ(mine[1].command, "createClient");
  EXPECT_TRUE(is_already_exists(mine[1]));
  EXPECT_FALSE(is_not_found(mine[1]));
  const auto theirs = responses_for(all, "bb");
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].data["client"]["username"], "x");
  EXPECT_TRUE(responses_for(all, "cc").empty());
}

TEST(DynsecProtocol, NotARespnseIsAProtocolError) {
  EXPECT_THROW(parse_responses("hello"), ProtocolError);
  EXPECT_THROW(parse_responses(R"({"commands":[]})"), ProtocolError);
}

TEST(DynsecProtocol, AclsCompareRegardlessOfOrderAndPriority) {
  auto acls = device_role_acls("devices", "A");
  nlohmann::json reversed = nlohmann::json::array({acls[1], acls[0]});
  reversed[0]["priority"] = 5;
  EXPECT_EQ(normalised_acls(reversed), normalised_acls(acls));
  reversed[0]["topic"] = "devices/#";
  EXPECT_NE(normalised_acls(reversed), normalised_acls(acls));
}

}  // namespace
}  // namespace espfab::registry::dynsec
