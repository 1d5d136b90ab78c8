// The users file: salted PBKDF2 hashes, never the password; refused when others may read it.
#include "web/users_file.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::web {
namespace {

TEST(UsersFile, StoresASaltedHashWithMode0600AndChecksLogins) {
  test::TempDir dir;
  const auto file = dir / "users";
  save_user(file, make_user("anna", Role::Engineer, "correct horse"));
  save_user(file, make_user("otto", Role::Operator, "correct horse"));
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  const std::string text = read_text_file(file);
  EXPECT_EQ(text.find("correct horse"), std::string::npos);
  const auto users = load_users(file);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_NE(users[0].hash, users[1].hash) << "the same password with another salt";
  const auto anna = check_login(users, "anna", "correct horse");
  ASSERT_TRUE(anna);
  EXPECT_EQ(anna->role, Role::Engineer);
  EXPECT_FALSE(check_login(users, "anna", "correct horsE"));
  EXPECT_FALSE(check_login(users, "nobody", "correct horse"));
  // Replacing a user keeps one line for them.
  save_user(file, make_user("anna", Role::Operator, "another password"));
  EXPECT_EQ(load_users(file).size(), 2u);
  EXPECT_TRUE(check_login(load_users(file), "anna", "another password"));
}

TEST(UsersFile, RefusesAFileOthersMayReadAndMalformedLines) {
  test::TempDir dir;
  const auto file = dir / "users";
  save_user(file, make_user("anna", Role::Engineer, "correct horse"));
  ::chmod(file.c_str(), 0640);
  test::expect_error<PolicyRefusalError>([&] { load_users(file); }, "ui.users_file_mode");
  write_text_file_atomic(file, "anna:engineer:plaintext\n", 0600);
  test::expect_error<BadInputError>([&] { load_users(file); }, "ui.users_file");
  test::expect_error<BadInputError>([] { make_user("a b", Role::Operator, "long enough"); }, "ui.bad_user");
  test::expect_error<BadInputError>([] { make_user("anna", Role::Operator, "short"); }, "ui.weak_password");
  test::expect_error<BadInputError>([] { parse_role("admin"); }, "ui.bad_role");
}

}  // namespace
}  // namespace espfab::web
