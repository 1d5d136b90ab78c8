// The outbox of the PostgreSQL station DB: items any station of the line may deliver, each tried
// by one station at a time under a claim that lapses (a station killed while it held one does not
// keep the item from the others for longer than the claim).
#include <fmt/format.h>

#include <algorithm>

#include "station/postgres_station_db.hpp"
#include "station/postgres_transaction.hpp"

namespace espfab::station {
namespace {

constexpr const char* kOutboxColumns = "id, kind, mac, payload, state, attempts, last_error";

// Items claimed at once by one station; the rest wait for its next round (or another station).
constexpr int kClaimBatch = 64;

OutboxItem outbox_from(const PgResult& r, int row) {
  return {r.integer(row, 0), r.text(row, 1),
          r.text(row, 2),    nlohmann::json::parse(r.text(row, 3), nullptr, false),
          r.text(row, 4),    static_cast<unsigned>(r.integer(row, 5)),
          r.text(row, 6)};
}

std::vector<OutboxItem> items_from(const PgResult& r) {
  std::vector<OutboxItem> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(outbox_from(r, i));
  return out;
}

}  // namespace

std::int64_t PostgresStationDb::enqueue(const std::string& kind, const std::string& mac,
                                        const nlohmann::json& payload) {
  PgTransaction t(*this);
  t.run(
      "INSERT INTO outbox(kind, mac, payload, state, created) VALUES ($1, $2, $3, 'pending', $4) "
      "ON CONFLICT (kind, mac) DO NOTHING",
      {kind, mac, payload.dump(), utc_now_iso()});
  return t.run("SELECT id FROM outbox WHERE kind = $1 AND mac = $2", {kind, mac}).integer(0, 0);
}

// Every pending item of the line, claimed or not (what is still to be delivered).
std::vector<OutboxItem> PostgresStationDb::pending(const std::string& kind) {
  PgTransaction t(*this);
  return items_from(
      t.run(fmt::format("SELECT {} FROM outbox WHERE state = 'pending' AND ($1 = '' OR kind = $1) ORDER BY id",
                        kOutboxColumns)
                .c_str(),
            {kind}));
}

std::vector<OutboxItem> PostgresStationDb::outbox(const std::string& mac) {
  PgTransaction t(*this);
  return items_from(
      t.run(fmt::format("SELECT {} FROM outbox WHERE mac = $1 ORDER BY id", kOutboxColumns).c_str(), {mac}));
}

void PostgresStationDb::outbox_attempt(std::int64_t id, bool done, const std::string& error) {
  PgTransaction t(*this);
  t.run(
      "UPDATE outbox SET attempts = attempts + 1, state = $2, last_error = $3, claimed_by = '', "
      "claimed_until = NULL WHERE id = $1",
      {std::to_string(id), done ? "done" : "pending", error});
}

// One statement: the sub-select locks the rows it returns and skips rows another station's claim
// has locked at this moment; a claim committed meanwhile is re-checked on the row's newest version.
std::vector<OutboxItem> PostgresStationDb::claim_pending(std::chrono::seconds claim) {
  PgTransaction t(*this);
  auto items = items_from(
      t.run(fmt::format("UPDATE outbox SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2) "
                        "WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND (claimed_until IS NULL OR "
                        "claimed_until < now() OR claimed_by = $1) ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED) "
                        "RETURNING {}",
                        kClaimBatch, kOutboxColumns)
                .c_str(),
            {claimant_, std::to_string(claim.count())}));
  std::sort(items.begin(), items.end(), [](const OutboxItem& a, const OutboxItem& b) { return a.id < b.id; });
  return items;
}

bool PostgresStationDb::claim_item(std::int64_t id, std::chrono::seconds claim) {
  PgTransaction t(*this);
  const auto r = t.run(
      "UPDATE outbox SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2) "
      "WHERE id = (SELECT id FROM outbox WHERE id = $3 AND state = 'pending' AND (claimed_until IS NULL OR "
      "claimed_until < now() OR claimed_by = $1) FOR UPDATE SKIP LOCKED) RETURNING id",
      {claimant_, std::to_string(claim.count()), std::to_string(id)});
  return r.rows() == 1;
}

}  // namespace espfab::station
