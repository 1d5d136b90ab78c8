#include "security/efuse_reed_solomon.hpp"

#include "util/error.hpp"

namespace espfab::security {

namespace {

struct GaloisField {
  std::array<std::uint8_t, 512> exp{};
  std::array<std::uint8_t, 256> log{};

  constexpr GaloisField() {
    unsigned x = 1;
    for (unsigned i = 0; i < 255; ++i) {
      exp[i] = static_cast<std::uint8_t>(x);
      log[x] = static_cast<std::uint8_t>(i);
      x <<= 1;
      if (x & 0x100) x ^= 0x11D;
    }
    for (unsigned i = 255; i < exp.size(); ++i) exp[i] = exp[i - 255];
  }

  constexpr std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
    if (a == 0 || b == 0) return 0;
    return exp[static_cast<std::size_t>(log[a]) + log[b]];
  }
};

constexpr GaloisField kField{};

// g(x) = (x - a^0)(x - a^1)...(x - a^11), highest power first (g[0] = 1).
constexpr std::array<std::uint8_t, kRsCheckBytes + 1> make_generator() {
  std::array<std::uint8_t, kRsCheckBytes + 1> g{};
  g[0] = 1;
  std::size_t degree = 0;
  for (std::size_t i = 0; i < kRsCheckBytes; ++i) {
    const std::uint8_t root = kField.exp[i];
    // multiply by (x + root): new[j] = g[j] + root * g[j-1]
    for (std::size_t j = degree + 1; j > 0; --j) g[j] = static_cast<std::uint8_t>(g[j] ^ kField.mul(root, g[j - 1]));
    ++degree;
  }
  return g;
}

constexpr auto kGenerator = make_generator();

}  // namespace

RsCheckBytes rs_encode(ByteView block32) {
  if (block32.size() != kRsDataBytes) {
    throw InternalError("security.rs_block_size", "RS(44,32) encodes exactly 32 bytes");
  }
  // Long division of data(x) * x^12 by g(x); the remainder is the check bytes.
  std::array<std::uint8_t, kRsDataBytes + kRsCheckBytes> work{};
  std::copy(block32.begin(), block32.end(), work.begin());
  for (std::size_t i = 0; i < kRsDataBytes; ++i) {
    const std::uint8_t coef = work[i];
    if (coef == 0) continue;
    for (std::size_t j = 1; j < kGenerator.size(); ++j) {
      work[i + j] = static_cast<std::uint8_t>(work[i + j] ^ kField.mul(kGenerator[j], coef));
    }
  }
  RsCheckBytes check{};
  std::copy(work.begin() + kRsDataBytes, work.end(), check.begin());
  return check;
}

RsCheckWords rs_check_words(ByteView block32) {
  const RsCheckBytes check = rs_encode(block32);
  RsCheckWords words{};
  for (std::size_t i = 0; i < words.size(); ++i) words[i] = load_le32(check, 4 * i);
  return words;
}

}  // namespace espfab::security
