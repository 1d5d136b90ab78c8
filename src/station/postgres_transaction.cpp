#include "station/postgres_transaction.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::station {

std::string pg_message(pg_conn* conn) {
  std::string text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void pg_fail(const std::string& where, const std::string& what, const std::string& reason) {
  throw DatabaseError("station.db", fmt::format("station DB {} ({}): {}", what, where, reason),
                      "check that the PostgreSQL server is running and reachable, and the station's role may write "
                      "the espfab tables (docs/stations.md)");
}

PgTransaction::PgTransaction(PostgresStationDb& db, bool transaction) : db_(db), lock_(db.mutex_) {
  // An idle connection the server closed has its goodbye (or EOF) waiting on the socket: reading
  // it marks the connection bad before anything is sent, and a new one is made (once).
  if (PQstatus(db_.conn_) == CONNECTION_OK) PQconsumeInput(db_.conn_);
  if (PQstatus(db_.conn_) != CONNECTION_OK) PQreset(db_.conn_);
  if (transaction) {
    run("BEGIN");
    open_ = true;
  }
}

PgTransaction::~PgTransaction() {
  if (open_) PQclear(PQexec(db_.conn_, "ROLLBACK"));
}

PgResult PgTransaction::run(const char* sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(
      PQexecParams(db_.conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  if (!result.ok()) pg_fail(db_.where_, "statement", pg_message(db_.conn_));
  return result;
}

void PgTransaction::commit() {
  run("COMMIT");
  open_ = false;
}

}  // namespace espfab::station
