// Which station DB a profile uses: without `[station] database` the embedded SQLite file
// <data_dir>/station.db; with `database = "postgresql://user@host:port/db?sslmode=verify-full"` the
// line's shared PostgreSQL (postgres_station_db.hpp), its password from `database_password_env`
// (an environment variable) or `database_password_file` (a file only its owner may read; 0600).
// The password is read when the connection is made and wiped from this process's copy after.
#pragma once

#include <memory>
#include <string>

#include "station/station_db.hpp"
#include "station/station_profile.hpp"

namespace espfab::station {

bool uses_shared_db(const StationProfile& profile);

// For messages and the run summary: the SQLite file, or the server as host:port/db (no password).
std::string describe_station_db(const StationProfile& profile);

// Opens the profile's DB (SQLite: created when missing for ReadWrite). Throws DatabaseError
// (station.db*) and BadInputError (station.db_password: the password file is missing, readable by
// others, or the variable is unset).
std::unique_ptr<StationDb> open_profile_db(const StationProfile& profile, DbAccess access = DbAccess::ReadWrite);

// Whether the profile's DB is there to read (SQLite: the file exists; PostgreSQL: always asked).
bool profile_db_exists(const StationProfile& profile);

// `espfab db migrate`: brings the profile's DB to kStationDbSchemaVersion.
Migration migrate_profile_db(const StationProfile& profile);

}  // namespace espfab::station
