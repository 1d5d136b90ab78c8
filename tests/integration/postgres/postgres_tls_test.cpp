// A line's station DB over TLS: a real PostgreSQL 15 that accepts TCP connections over TLS only
// (hostssl), with a server certificate from a test CA. A station whose URL asks for
// sslmode=verify-full with that CA migrates, opens and allocates; one that asks for no TLS, or
// trusts another CA, is refused with a database error before it does anything.
#include <gtest/gtest.h>

#include <fstream>

#include "station/postgres_station_db.hpp"
#include "support/postgres_server.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

using test::TempDir;

// `name`.pem and `name`.key: a self-signed CA certificate and its key.
void make_ca(const std::filesystem::path& dir, const std::string& name) {
  const auto made =
      test::run_command("/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                             "-nodes", "-keyout", (dir / (name + ".key")).string(), "-out",
                                             (dir / (name + ".pem")).string(), "-subj", "/CN=" + name, "-days", "2"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
}

// server.crt / server.key for 127.0.0.1 (subjectAltName IP, what verify-full checks), signed by `ca`.
void make_server_certificate(const std::filesystem::path& dir, const std::string& ca) {
  const auto csr = test::run_command("/usr/bin/openssl", {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                                          "-nodes", "-keyout", (dir / "server.key").string(), "-out",
                                                          (dir / "server.csr").string(), "-subj", "/CN=127.0.0.1"});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
  const auto signed_cert = test::run_command(
      "/usr/bin/openssl", {"x509", "-req", "-in", (dir / "server.csr").string(), "-CA", (dir / (ca + ".pem")).string(),
                           "-CAkey", (dir / (ca + ".key")).string(), "-CAcreateserial", "-out",
                           (dir / "server.crt").string(), "-days", "2", "-extfile", (dir / "san.ext").string()});
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.err;
}

void expect_refused(const std::string& url, const std::string& why) {
  try {
    PostgresStationDb db(PostgresTarget{url, "", "station-a"});
    ADD_FAILURE() << "opened " << url << " although " << why;
  } catch (const DatabaseError& error) {
    EXPECT_EQ(error.code(), "station.db_open") << error.describe();
  }
}

TEST(PostgresTls, AStationVerifiesTheServerAndTheServerTakesNothingButTls) {
  if (!test::postgres_available()) GTEST_SKIP() << "PostgreSQL 15 is not installed: apt-get install postgresql-15";
  TempDir certs;
  make_ca(certs.path(), "line-db-ca");
  make_ca(certs.path(), "another-ca");
  make_server_certificate(certs.path(), "line-db-ca");
  test::PostgresServer server;
  server.require_tls(certs / "server.crt", certs / "server.key");
  const std::string url = server.create_database("line");

  const PostgresTarget verified{url + "?sslmode=verify-full&sslrootcert=" + (certs / "line-db-ca.pem").string(), "",
                                "station-a"};
  PostgresStationDb::migrate(verified);
  PostgresStationDb db(verified);
  db.touch_device("7c:df:a1:00:00:01", "fixture 1");
  EXPECT_EQ(db.allocate_serial("7c:df:a1:00:00:01", SerialScheme{"TLS-", 4, 1}), "TLS-0001");

  expect_refused(url + "?sslmode=disable", "the server accepts TLS connections only");
  expect_refused(url + "?sslmode=verify-full&sslrootcert=" + (certs / "another-ca.pem").string(),
                 "the server's certificate is not from the CA the station trusts");
}

}  // namespace
}  // namespace espfab::station
