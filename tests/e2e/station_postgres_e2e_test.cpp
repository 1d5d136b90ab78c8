// The line's shared station DB end to end (issue 19, point 1): a profile with `[station] database =
// "postgresql://…"` and its password from an environment variable, on a real PostgreSQL 15 the
// test starts: the station refuses the server until `espfab db migrate`, then provisions on it; a
// second station (its own data dir, same server) sees the same devices in its report and goes on
// with the next serial. Profiles that put a password in the URL, or a password file others may
// read, are refused with the fix.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <set>

#include "support/emulator_process.hpp"
#include "support/postgres_server.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The demo's assets and profile under `dir`, its [station] given `lines` (id, database, ...).
std::filesystem::path line_profile(const TempDir& dir, const std::string& lines) {
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  const auto file = dir / "station.toml";
  std::string text = read_text_file(file);
  const auto at = text.find("[station]\n");
  EXPECT_NE(at, std::string::npos);
  // The demo's own id line goes; the given lines come right under [station].
  const auto id = text.find("id = ", at);
  text.erase(id, text.find('\n', id) + 1 - id);
  text.insert(at + 10, lines);
  std::ofstream(file) << text;
  return file;
}

class StationPostgresE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postgres_available()) GTEST_SKIP() << "PostgreSQL 15 is not installed: apt-get install postgresql-15";
    server_ = std::make_unique<PostgresServer>();
    ::setenv("ESPFAB_TEST_DB_PASSWORD", "not-needed-with-trust", 1);
  }
  std::unique_ptr<PostgresServer> server_;
};

TEST_F(StationPostgresE2e, TwoStationsShareOneServerAfterItsMigration) {
  const std::string url = server_->create_database("line");
  const std::string shared = "database = \"" + url + "\"\ndatabase_password_env = \"ESPFAB_TEST_DB_PASSWORD\"\n";
  TempDir a;
  TempDir b;
  const auto profile_a = line_profile(a, "id = \"station-a\"\n" + shared);
  const auto profile_b = line_profile(b, "id = \"station-b\"\n" + shared);
  {  // one line, one CA: station B signs with station A's (a line shares its CA, HSM or CMP server)
    std::string text = read_text_file(profile_b);
    const auto at = text.find("dir = \"ca\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 10, "dir = \"" + (a / "ca").string() + "\"");
    std::ofstream(profile_b) << text;
  }

  EmulatorProcess chips_a(EmulatorOptions{2, "rfc2217", a / "devices", {}});
  // Before the migration: refused, nothing touched.
  const auto early = run_espfab(station_run_args(profile_a, chips_a, 2));
  EXPECT_NE(early.exit_code, 0);
  EXPECT_NE((early.out + early.err).find("db migrate"), std::string::npos) << early.out << early.err;

  const auto migrate = run_espfab({"db", "migrate", "--profile", profile_a.string()});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  const auto run_a = run_espfab(station_run_args(profile_a, chips_a, 2));
  ASSERT_EQ(run_a.exit_code, 0) << run_a.out << run_a.err;
  const auto summary_a = json::parse(run_a.out);
  EXPECT_EQ(summary_a["database"], "postgresql 127.0.0.1:" + std::to_string(server_->port()) + "/line");
  std::set<std::string> serials;
  for (const auto& device : summary_a["devices"]) {
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    serials.insert(device["serial"].get<std::string>());
  }
  EXPECT_EQ(serials.size(), 2u);

  // Station B: other chips (other MACs), same server: the next serials, and A's devices in its report.
  EmulatorProcess chips_b(EmulatorOptions{2, "rfc2217", b / "devices", {"--mac-base", "7c:df:a1:00:10:00"}});
  const auto run_b = run_espfab(station_run_args(profile_b, chips_b, 2));
  ASSERT_EQ(run_b.exit_code, 0) << run_b.out << run_b.err;
  const auto summary_b = json::parse(run_b.out);
  for (const auto& device : summary_b["devices"]) {
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    EXPECT_TRUE(serials.insert(device["serial"].get<std::string>()).second) << "a serial issued twice";
  }
  EXPECT_EQ(serials.size(), 4u);
  const auto report = run_espfab({"report", "--profile", profile_b.string(), "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  std::set<std::string> reported;
  const auto rows = json::parse(report.out);
  for (const auto& device : rows) reported.insert(device["serial"].get<std::string>());
  EXPECT_EQ(reported, serials);
}

TEST_F(StationPostgresE2e, APasswordInTheUrlOrAReadablePasswordFileIsRefusedWithTheFix) {
  const std::string url = server_->create_database("refusals");
  TempDir a;
  const auto in_url = line_profile(a, "database = \"postgresql://espfab:s3cret@127.0.0.1:5432/line\"\n");
  const auto check = run_espfab({"check", "--profile", in_url.string()});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE((check.out + check.err).find("database_password_env or database_password_file"), std::string::npos)
      << check.out << check.err;
  EXPECT_EQ((check.out + check.err).find("s3cret"), std::string::npos) << "the password was printed";

  TempDir b;
  const auto password_file = b / "db-password";
  std::ofstream(password_file) << "pw\n";
  std::filesystem::permissions(password_file, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
  const auto readable = line_profile(b, "database = \"" + url + "\"\ndatabase_password_file = \"db-password\"\n");
  const auto migrate = run_espfab({"db", "migrate", "--profile", readable.string()});
  EXPECT_NE(migrate.exit_code, 0);
  EXPECT_NE(migrate.err.find("chmod 600"), std::string::npos) << migrate.err;
  std::filesystem::permissions(password_file, std::filesystem::perms::owner_read);
  const auto again = run_espfab({"db", "migrate", "--profile", readable.string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

}  // namespace
}  // namespace espfab::test
