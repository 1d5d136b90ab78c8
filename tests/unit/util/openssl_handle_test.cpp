#include "util/openssl_handle.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

#include <string>
#include <utility>

namespace espfab {
namespace {

struct Counted {
  int id = 0;
};
int g_freed = 0;
int g_last_freed = 0;
void free_counted(Counted* counted) {
  ++g_freed;
  g_last_freed = counted->id;
  delete counted;
}

using CountedHandle = OpenSslHandle<Counted, free_counted>;

TEST(OpenSslHandle, IsAsSmallAsAPointer) {
  static_assert(sizeof(CountedHandle) == sizeof(Counted*));
  static_assert(sizeof(OpenSslHandle<BIO, BIO_free>) == sizeof(BIO*));
}

TEST(OpenSslHandle, FreesWithTheNamedFunctionOnce) {
  g_freed = 0;
  {
    CountedHandle handle(new Counted{7});
    CountedHandle moved = std::move(handle);
    EXPECT_EQ(handle, nullptr);
    EXPECT_EQ(g_freed, 0);
  }
  EXPECT_EQ(g_freed, 1);
  EXPECT_EQ(g_last_freed, 7);
}

TEST(OpenSslHandle, NeverFreesNull) {
  g_freed = 0;
  { const CountedHandle empty; }
  EXPECT_EQ(g_freed, 0);
}

TEST(OpenSslHandle, ResetFreesTheOldObject) {
  g_freed = 0;
  CountedHandle handle(new Counted{1});
  handle.reset(new Counted{2});
  EXPECT_EQ(g_freed, 1);
  EXPECT_EQ(g_last_freed, 1);
  Counted* released = handle.release();
  EXPECT_EQ(g_freed, 1);
  free_counted(released);
}

TEST(OpenSslHandle, OwnsRealOpenSslObjects) {
  const OpenSslHandle<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  ASSERT_NE(bio, nullptr);
  ASSERT_EQ(BIO_write(bio.get(), "espfab", 6), 6);
  std::string text(6, '\0');
  ASSERT_EQ(BIO_read(bio.get(), text.data(), 6), 6);
  EXPECT_EQ(text, "espfab");
  const OpenSslHandle<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  EXPECT_NE(ctx, nullptr);
}

}  // namespace
}  // namespace espfab
