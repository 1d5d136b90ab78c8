// One PostgreSQL 15 per test suite (tests/support/postgres_server.hpp), a fresh database per test;
// the suite's tests are skipped when the server binaries are missing.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "station/postgres_station_db.hpp"
#include "support/postgres_server.hpp"

namespace espfab::test {

class PostgresFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (postgres_available()) server_ = std::make_unique<PostgresServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_)
      GTEST_SKIP() << "PostgreSQL 15 is not installed (" << kPostgresBin << "): apt-get install postgresql-15";
  }
  // A new database on the suite's server, for `station`.
  static station::PostgresTarget fresh(const std::string& station = "station-a") {
    static int n = 0;
    return {server_->create_database(fmt::format("t{}", ++n)), "", station};
  }
  // The same database as another station sees it.
  static station::PostgresTarget as_station(station::PostgresTarget target, const std::string& station) {
    target.station_id = station;
    return target;
  }
  // psql -tA: the rows of one query, one line each (fields separated by '|').
  static std::string query(const station::PostgresTarget& target, const std::string& sql) {
    const auto result = run_postgres_program("psql", {target.url, "-tAc", sql});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }
  static inline std::unique_ptr<PostgresServer> server_;
};

}  // namespace espfab::test
