// The station's side of the factory-test firmware protocol v1 (docs/firmware-contract.md):
// boot the app, wait for its ready line, then one JSON request at a time with a timeout and one
// retry. Lines that are not JSON objects are console noise (kept in the fixture's transcript).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>

#include "station/fixture_link.hpp"

namespace espfab::station {

class FactoryTestClient {
 public:
  explicit FactoryTestClient(FixtureLink& fixture) : fixture_(fixture) {}
  // Normal boot, then the ready line ({"ft":1,"event":"ready",...}). Throws TimeoutError
  // ("station.ft_not_ready") naming what the console showed instead.
  nlohmann::json boot_and_wait_ready(std::chrono::milliseconds timeout);
  // Sends {"id":N, ...request} and returns the reply with that id. A timeout is retried once;
  // the second throws TimeoutError ("station.ft_no_reply").
  nlohmann::json request(nlohmann::json request, std::chrono::milliseconds timeout);

 private:
  std::optional<nlohmann::json> await_reply(int id, std::chrono::milliseconds timeout);
  FixtureLink& fixture_;
  int next_id_ = 1;
};

}  // namespace espfab::station
