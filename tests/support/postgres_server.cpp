#include "support/postgres_server.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/loopback.hpp"
#include "support/run_command.hpp"

namespace espfab::test {
CommandResult run_postgres_program(const std::string& program, std::vector<std::string> args) {
  if (geteuid() != 0) return run_command(kPostgresBin / program, args);
  args.insert(args.begin(), {"-u", "postgres", "--", (kPostgresBin / program).string()});
  return run_command("/usr/sbin/runuser", args);
}

namespace {

CommandResult pg(const std::string& program, std::vector<std::string> args) {
  return run_postgres_program(program, std::move(args));
}

}  // namespace

std::vector<std::string> query_rows(const std::string& url, const std::string& sql) {
  const auto result = run_postgres_program("psql", {url, "-tAc", sql});
  if (result.exit_code != 0) throw std::runtime_error(sql + ": " + result.err);
  std::vector<std::string> rows;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) rows.push_back(line);
  return rows;
}

bool postgres_available() { return std::filesystem::exists(kPostgresBin / "initdb"); }

PostgresServer::PostgresServer() : port_(free_loopback_port()) {
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root and there is no postgres user to run the server");
    if (chown(dir_.path().c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown failed");
  }
  const auto init =
      pg("initdb", {"-D", (dir_ / "data").string(), "-U", "espfab", "--auth=trust", "-E", "UTF8", "--no-sync"});
  if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.err);
  start();
}

PostgresServer::~PostgresServer() {
  if (running_) pg("pg_ctl", {"-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"});
}

void PostgresServer::start() {
  const auto started =
      pg("pg_ctl",
         {"-D", (dir_ / "data").string(), "-l", (dir_ / "log").string(), "-w", "-o",
          fmt::format("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", port_, dir_.path().string()), "start"});
  if (started.exit_code != 0) throw std::runtime_error("pg_ctl start failed: " + started.err + started.out);
  running_ = true;
}

void PostgresServer::stop() {
  const auto stopped = pg("pg_ctl", {"-D", (dir_ / "data").string(), "-m", "fast", "-w", "stop"});
  if (stopped.exit_code != 0) throw std::runtime_error("pg_ctl stop failed: " + stopped.err + stopped.out);
  running_ = false;
}

void PostgresServer::require_tls(const std::filesystem::path& certificate, const std::filesystem::path& key) {
  const auto data = dir_ / "data";
  std::filesystem::copy_file(certificate, data / "server.crt", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(key, data / "server.key", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(data / "server.key",
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root and there is no postgres user to run the server");
    for (const char* name : {"server.crt", "server.key", "pg_hba.conf", "postgresql.conf"}) {
      if (chown((data / name).c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
  }
  std::ofstream(data / "postgresql.conf", std::ios::app)
      << "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n";
  std::ofstream(data / "pg_hba.conf", std::ios::trunc) << "local all all trust\nhostssl all all 127.0.0.1/32 trust\n";
  stop();
  start();
}

std::string PostgresServer::create_database(const std::string& name) {
  const auto made = pg("createdb", {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "espfab", name});
  if (made.exit_code != 0) throw std::runtime_error("createdb failed: " + made.err);
  return fmt::format("postgresql://espfab@127.0.0.1:{}/{}", port_, name);
}

}  // namespace espfab::test
