#include "web/users_file.hpp"

#include <sys/stat.h>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <sstream>

#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::web {
namespace {

constexpr unsigned kIterations = 200000;  // PBKDF2-HMAC-SHA256: about 0.2 s per login on a station PC
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kHashSize = 32;
constexpr std::string_view kScheme = "pbkdf2-sha256";

SecretBytes pbkdf2(const std::string& password, ByteView salt, unsigned iterations) {
  SecretBytes out(kHashSize);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()), out.data()) != 1) {
    throw CryptoError("ui.pbkdf2", "PBKDF2 failed: " + crypto::last_openssl_error());
  }
  return out;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

}  // namespace

std::string_view to_string(Role role) { return role == Role::Engineer ? "engineer" : "operator"; }

Role parse_role(std::string_view text) {
  if (text == "operator") return Role::Operator;
  if (text == "engineer") return Role::Engineer;
  throw BadInputError("ui.bad_role", fmt::format("unknown role '{}'", text), "use operator or engineer");
}

UserEntry make_user(const std::string& name, Role role, const std::string& password) {
  if (!valid_name(name)) {
    throw BadInputError("ui.bad_user", fmt::format("'{}' is not a user name", name),
                        "use 1 to 32 letters, digits, '.', '_' or '-'");
  }
  if (password.size() < 8) {
    throw BadInputError("ui.weak_password", "the password is shorter than 8 characters", "choose a longer one");
  }
  const auto salt = crypto::random_secret(kSaltSize);
  const auto hash = pbkdf2(password, ByteView(salt.data(), salt.size()), kIterations);
  return {name, role,
          fmt::format("{}${}${}${}", kScheme, kIterations, to_hex(ByteView(salt.data(), salt.size())),
                      to_hex(ByteView(hash.data(), hash.size())))};
}

std::string format_user_line(const UserEntry& user) {
  return fmt::format("{}:{}:{}\n", user.name, to_string(user.role), user.hash);
}

std::vector<UserEntry> load_users(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    throw BadInputError("ui.users_file", fmt::format("the users file {} does not exist", file.string()),
                        "make it with `espfab ui-adduser --users FILE --name NAME --role operator|engineer`");
  }
  if ((info.st_mode & 077) != 0) {
    throw PolicyRefusalError("ui.users_file_mode",
                             fmt::format("the users file {} may be read or written by others (mode {:o})",
                                         file.string(), info.st_mode & 0777),
                             fmt::format("chmod 600 {}", file.string()));
  }
  std::vector<UserEntry> users;
  std::istringstream in(read_text_file(file));
  std::string line;
  for (unsigned number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split(line, ':');
    const auto hash = fields.size() == 3 ? split(fields[2], '$') : std::vector<std::string>{};
    if (fields.size() != 3 || !valid_name(fields[0]) || hash.size() != 4 || hash[0] != kScheme) {
      throw BadInputError("ui.users_file",
                          fmt::format("{}:{}: not `name:role:pbkdf2-sha256$...`", file.string(), number),
                          "make entries with `espfab ui-adduser`");
    }
    users.push_back({fields[0], parse_role(fields[1]), fields[2]});
  }
  return users;
}

void save_user(const std::filesystem::path& file, const UserEntry& user) {
  std::vector<UserEntry> users;
  if (std::filesystem::exists(file)) users = load_users(file);
  std::erase_if(users, [&](const UserEntry& u) { return u.name == user.name; });
  users.push_back(user);
  std::string text = "# espfab dashboard users (espfab ui-adduser): name:role:pbkdf2-sha256$iterations$salt$hash\n";
  for (const auto& u : users) text += format_user_line(u);
  write_text_file_atomic(file, text, 0600);
}

std::optional<UserEntry> check_login(const std::vector<UserEntry>& users, const std::string& name,
                                     const std::string& password) {
  for (const auto& user : users) {
    if (user.name != name) continue;
    const auto parts = split(user.hash, '$');
    const auto salt = from_hex(parts.at(2));
    const auto expected = from_hex(parts.at(3));
    const auto actual =
        pbkdf2(password, ByteView(salt.data(), salt.size()), static_cast<unsigned>(std::stoul(parts.at(1))));
    if (expected.size() == actual.size() && CRYPTO_memcmp(expected.data(), actual.data(), actual.size()) == 0) {
      return user;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace espfab::web
