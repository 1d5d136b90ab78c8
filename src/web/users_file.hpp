// The dashboard's logins: a users file (mode 0600, one user a line) with salted PBKDF2-HMAC-SHA256
// password hashes, never a password. A line: `name:role:pbkdf2-sha256$iterations$salt$hash` (salt
// and hash in hex); `#` starts a comment. Roles: operator (reprint, pause/resume a fixture, stop
// after the current devices) and engineer (those, and resume or scrap a faulted device).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::web {

enum class Role { Operator, Engineer };
std::string_view to_string(Role role);
// "operator" | "engineer"; throws BadInputError("ui.bad_role") for anything else.
Role parse_role(std::string_view text);

struct UserEntry {
  std::string name;
  Role role = Role::Operator;
  std::string hash;  // pbkdf2-sha256$iterations$salt$hash
};

// A new entry for `password` (a fresh 16-byte salt). Throws BadInputError for a name that is not
// 1..32 of [A-Za-z0-9._-] or a password shorter than 8 characters.
UserEntry make_user(const std::string& name, Role role, const std::string& password);
std::string format_user_line(const UserEntry& user);

// Reads the users file. Throws PolicyRefusalError("ui.users_file_mode") when group or others may
// read or write it, BadInputError("ui.users_file") for a malformed line (naming it) or a missing file.
std::vector<UserEntry> load_users(const std::filesystem::path& file);

// Adds or replaces `user` in `file` (created with mode 0600), written atomically.
void save_user(const std::filesystem::path& file, const UserEntry& user);

// The user whose name and password match, in constant time per hash; nullopt otherwise.
std::optional<UserEntry> check_login(const std::vector<UserEntry>& users, const std::string& name,
                                     const std::string& password);

}  // namespace espfab::web
