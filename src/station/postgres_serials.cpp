// Serial numbers in the PostgreSQL station DB: per-device allocation and serial leases
// (serial_lease_server.hpp). Every number below a scheme's counter is a device's serial, leased to
// one station, or in the pool, and moves between these in single transactions: none is lost, none
// is issued twice.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "station/postgres_station_db.hpp"
#include "station/postgres_transaction.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

// The device row, locked for the transaction; its serial ("" when it has none).
std::string locked_device_serial(PgTransaction& t, const std::string& mac) {
  const auto existing = t.run("SELECT COALESCE(serial, '') FROM devices WHERE mac = $1 FOR UPDATE", {mac});
  if (existing.rows() == 0) {
    throw InternalError("station.db_no_device", "a serial for a device the DB has not seen: " + mac);
  }
  return existing.text(0, 0);
}

// `count` numbers from the scheme's counter (created at `first`), ascending.
std::vector<std::uint64_t> from_counter(PgTransaction& t, const SerialScheme& scheme, unsigned count) {
  t.run("INSERT INTO serial_counter(prefix, next) VALUES ($1, $2) ON CONFLICT (prefix) DO NOTHING",
        {scheme.prefix, std::to_string(scheme.first)});
  const auto r = t.run("UPDATE serial_counter SET next = next + $2 WHERE prefix = $1 RETURNING next - $2",
                       {scheme.prefix, std::to_string(count)});
  const auto start = static_cast<std::uint64_t>(r.integer(0, 0));
  std::vector<std::uint64_t> out;
  out.reserve(count);
  for (unsigned i = 0; i < count; ++i) out.push_back(start + i);
  return out;
}

std::vector<std::uint64_t> numbers_from(const PgResult& r) {
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(static_cast<std::uint64_t>(r.integer(i, 0)));
  std::sort(out.begin(), out.end());
  return out;
}

// '{1,2,3}': a bigint[] parameter.
std::string array_literal(const std::vector<std::uint64_t>& numbers) {
  return fmt::format("{{{}}}", fmt::join(numbers, ","));
}

}  // namespace

// One transaction: the device row is locked, then the pool's lowest number (SKIP LOCKED: another
// station taking one at the same time takes the next) or the counter's next.
std::string PostgresStationDb::allocate_serial(const std::string& mac, const SerialScheme& scheme) {
  PgTransaction t(*this, true);
  std::string serial = locked_device_serial(t, mac);
  if (serial.empty()) {
    const auto pooled = t.run(
        "DELETE FROM serial_leases WHERE (prefix, number) = (SELECT prefix, number FROM serial_leases WHERE "
        "prefix = $1 AND state = 'pool' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING number",
        {scheme.prefix});
    const auto number =
        pooled.rows() == 1 ? static_cast<std::uint64_t>(pooled.integer(0, 0)) : from_counter(t, scheme, 1).at(0);
    serial = format_serial(scheme, number);
    t.run("UPDATE devices SET serial = $2, updated = $3 WHERE mac = $1", {mac, serial, utc_now_iso()});
  }
  t.commit();
  return serial;
}

std::vector<std::uint64_t> PostgresStationDb::lease_serials(const SerialScheme& scheme, unsigned count) {
  if (count == 0) return {};
  PgTransaction t(*this, true);
  const auto now = utc_now_iso();
  auto numbers = numbers_from(
      t.run("UPDATE serial_leases SET state = 'leased', station = $2, since = $3 WHERE (prefix, number) IN (SELECT "
            "prefix, number FROM serial_leases WHERE prefix = $1 AND state = 'pool' ORDER BY number LIMIT $4 FOR "
            "UPDATE SKIP LOCKED) RETURNING number",
            {scheme.prefix, station_, now, std::to_string(count)}));
  if (numbers.size() < count) {
    const auto fresh = from_counter(t, scheme, count - static_cast<unsigned>(numbers.size()));
    t.run(
        "INSERT INTO serial_leases(prefix, number, state, station, since) SELECT $1, n, 'leased', $2, $3 "
        "FROM unnest($4::bigint[]) AS n",
        {scheme.prefix, station_, now, array_literal(fresh)});
    numbers.insert(numbers.end(), fresh.begin(), fresh.end());
  }
  t.commit();
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::vector<std::uint64_t> PostgresStationDb::leased_serials(const SerialScheme& scheme) {
  PgTransaction t(*this);
  return numbers_from(
      t.run("SELECT number FROM serial_leases WHERE prefix = $1 AND state = 'leased' AND station = $2 ORDER BY number",
            {scheme.prefix, station_}));
}

LeasedSerialUse PostgresStationDb::use_leased_serial(const std::string& mac, const SerialScheme& scheme,
                                                     std::uint64_t number) {
  PgTransaction t(*this, true);
  LeasedSerialUse use;
  use.serial = locked_device_serial(t, mac);
  if (!use.serial.empty()) {
    use.outcome = LeasedSerialUse::Outcome::DeviceHasSerial;
    t.commit();
    return use;
  }
  const auto taken = t.run(
      "DELETE FROM serial_leases WHERE prefix = $1 AND number = $2 AND state = 'leased' AND station = $3 "
      "RETURNING number",
      {scheme.prefix, std::to_string(number), station_});
  if (taken.rows() == 0) {
    use.outcome = LeasedSerialUse::Outcome::NotLeased;
    t.commit();
    return use;
  }
  use.serial = format_serial(scheme, number);
  t.run("UPDATE devices SET serial = $2, updated = $3 WHERE mac = $1", {mac, use.serial, utc_now_iso()});
  t.commit();
  use.outcome = LeasedSerialUse::Outcome::Used;
  return use;
}

void PostgresStationDb::return_serials(const SerialScheme& scheme, const std::vector<std::uint64_t>& numbers) {
  if (numbers.empty()) return;
  PgTransaction t(*this);
  t.run(
      "UPDATE serial_leases SET state = 'pool', station = '', since = $3 WHERE prefix = $1 AND state = 'leased' "
      "AND station = $2 AND number = ANY($4::bigint[])",
      {scheme.prefix, station_, utc_now_iso(), array_literal(numbers)});
}

}  // namespace espfab::station
