// The PostgreSQL station DB's statements (internal to postgres_*.cpp): a result that frees itself,
// and one call's statements on the instance's connection, under its mutex, optionally inside one
// transaction (rolled back unless committed). A connection the server closed while it was idle
// (a restart, an administrator's shutdown) is noticed before the first statement is sent and reset
// once, so a call never runs half on a dead connection.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "station/postgres_station_db.hpp"

namespace espfab::station {

class PgResult {
 public:
  explicit PgResult(PGresult* r) : result_(r) {}
  int rows() const { return PQntuples(result_.get()); }
  std::string text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column), static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::int64_t integer(int row, int column) const { return std::stoll(text(row, column)); }
  double real(int row, int column) const { return std::stod(text(row, column)); }
  // A null result (out of memory, a lost connection) is PGRES_FATAL_ERROR.
  bool ok() const {
    const auto status = PQresultStatus(result_.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  }

 private:
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> result_;
};

// libpq's last error without its trailing newline.
std::string pg_message(pg_conn* conn);

// DatabaseError station.db naming the server (`where`), never the password.
[[noreturn]] void pg_fail(const std::string& where, const std::string& what, const std::string& reason);

class PgTransaction {
 public:
  explicit PgTransaction(PostgresStationDb& db, bool transaction = false);
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  PgTransaction(PgTransaction&&) = delete;
  PgTransaction& operator=(PgTransaction&&) = delete;

  // One statement with text parameters $1, $2, ...; DatabaseError when it fails.
  PgResult run(const char* sql, const std::vector<std::string>& params = {});
  void commit();

 private:
  PostgresStationDb& db_;
  std::lock_guard<std::recursive_mutex> lock_;
  bool open_ = false;
};

}  // namespace espfab::station
