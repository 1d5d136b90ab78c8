// A throwaway PostgreSQL 15 for tests: initdb in a temporary directory, a free port on 127.0.0.1,
// trust authentication, stopped (immediate) when the object goes; stop() and start() take it away
// and bring it back on the same port with the same data (a server restart under running stations). As root the server
// programs run as the postgres user (the server refuses root). Needs Debian's postgresql-15 (scripts/setup).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace espfab::test {

inline const std::filesystem::path kPostgresBin = "/usr/lib/postgresql/15/bin";

// Whether the server programs are installed.
bool postgres_available();
// A program of the server's (initdb, pg_ctl, psql, ...), as the postgres user when run as root.
CommandResult run_postgres_program(const std::string& program, std::vector<std::string> args);

// The rows `sql` returns from the database at `url` (psql -tA: fields joined by '|', empty rows
// dropped); throws std::runtime_error naming the query when psql fails.
std::vector<std::string> query_rows(const std::string& url, const std::string& sql);

class PostgresServer {
 public:
  PostgresServer();  // throws std::runtime_error when the server cannot start
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  PostgresServer(PostgresServer&&) = delete;
  PostgresServer& operator=(PostgresServer&&) = delete;

  // Creates database `name` (user espfab); returns its URL, postgresql://espfab@127.0.0.1:PORT/name.
  std::string create_database(const std::string& name);
  int port() const { return port_; }
  // pg_ctl stop -m fast (connections are closed, as an administrator's restart does) and start.
  void stop();
  void start();
  // Restarts the server with TLS on (`certificate` and `key`, PEM, copied into its data directory)
  // and accepting TCP connections over TLS only (pg_hba.conf: hostssl), as a line's server should.
  void require_tls(const std::filesystem::path& certificate, const std::filesystem::path& key);

 private:
  TempDir dir_;
  int port_;
  bool running_ = false;
};

}  // namespace espfab::test
