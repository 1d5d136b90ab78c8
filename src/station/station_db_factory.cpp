#include "station/station_db_factory.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <regex>

#include "station/postgres_station_db.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::station {
namespace {

// The password of the shared DB, wiped by the destructor.
class DbPassword {
 public:
  explicit DbPassword(const StationProfile& profile) {
    if (!profile.database_password_env.empty()) {
      const char* value = std::getenv(profile.database_password_env.c_str());
      if (value == nullptr) {
        throw BadInputError("station.db_password",
                            fmt::format("the environment variable {} (database_password_env) is not set",
                                        profile.database_password_env),
                            "export it with the DB user's password before starting the station");
      }
      text_ = value;
    } else if (!profile.database_password_file.empty()) {
      const auto& file = profile.database_password_file;
      struct stat info {};
      if (::stat(file.c_str(), &info) != 0) {
        throw BadInputError("station.db_password", fmt::format("the password file {} is missing", file.string()),
                            "create it (one line, the DB user's password) with chmod 600");
      }
      if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        throw BadInputError(
            "station.db_password",
            fmt::format("the password file {} may be read by others (mode {:o})", file.string(), info.st_mode & 0777U),
            fmt::format("chmod 600 {}", file.string()));
      }
      text_ = read_text_file(file);
      while (!text_.empty() && (text_.back() == '\n' || text_.back() == '\r')) text_.pop_back();
    }
  }
  ~DbPassword() { secure_wipe(text_.data(), text_.size()); }
  DbPassword(const DbPassword&) = delete;
  DbPassword& operator=(const DbPassword&) = delete;
  DbPassword(DbPassword&&) = delete;
  DbPassword& operator=(DbPassword&&) = delete;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The connection target; its copy of the password is wiped when it goes.
struct ScopedTarget {
  explicit ScopedTarget(PostgresTarget made) : target(std::move(made)) {}
  PostgresTarget target;
  ~ScopedTarget() { secure_wipe(target.password.data(), target.password.size()); }
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;
  ScopedTarget(ScopedTarget&&) = delete;
  ScopedTarget& operator=(ScopedTarget&&) = delete;
};

// Builds the target and runs `use` on it; both copies of the password are wiped after.
template <typename Use>
auto with_target(const StationProfile& profile, Use use) {
  const DbPassword password(profile);
  const ScopedTarget scoped(PostgresTarget{profile.database, password.text(), profile.station_id});
  return use(scoped.target);
}

}  // namespace

bool uses_shared_db(const StationProfile& profile) { return !profile.database.empty(); }

std::string describe_station_db(const StationProfile& profile) {
  if (!uses_shared_db(profile)) return database_path(profile).string();
  // postgresql://user@host:port/db?options -> postgresql host:port/db
  static const std::regex server_pattern(R"(^postgres(?:ql)?://(?:[^@/]*@)?([^/?]*)(/[^?]*)?)");
  std::smatch match;
  if (std::regex_search(profile.database, match, server_pattern))
    return "postgresql " + match[1].str() + match[2].str();
  return "postgresql";
}

std::unique_ptr<StationDb> open_profile_db(const StationProfile& profile, DbAccess access) {
  if (!uses_shared_db(profile)) return open_station_db(database_path(profile), access);
  return with_target(profile, [access](const PostgresTarget& target) -> std::unique_ptr<StationDb> {
    return std::make_unique<PostgresStationDb>(target, access);
  });
}

bool profile_db_exists(const StationProfile& profile) {
  return uses_shared_db(profile) || std::filesystem::exists(database_path(profile));
}

Migration migrate_profile_db(const StationProfile& profile) {
  if (!uses_shared_db(profile)) return migrate_sqlite_station_db(database_path(profile));
  return with_target(profile, [](const PostgresTarget& target) { return PostgresStationDb::migrate(target); });
}

}  // namespace espfab::station
