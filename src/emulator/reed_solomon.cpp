#include "emulator/reed_solomon.hpp"

#include <cstddef>

namespace espfab::emulator {
namespace {

constexpr unsigned kPrimitive = 0x11D;
constexpr std::size_t kCheck = 12;

struct GaloisField {
  std::array<std::uint8_t, 512> exp{};
  std::array<std::uint8_t, 256> log{};

  constexpr GaloisField() {
    unsigned x = 1;
    for (unsigned i = 0; i < 255; ++i) {
      exp[i] = static_cast<std::uint8_t>(x);
      log[x] = static_cast<std::uint8_t>(i);
      x <<= 1;
      if (x & 0x100) x ^= kPrimitive;
    }
    for (unsigned i = 255; i < 512; ++i) exp[i] = exp[i - 255];
  }

  constexpr std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
    if (a == 0 || b == 0) return 0;
    return exp[static_cast<std::size_t>(log[a]) + log[b]];
  }
};

constexpr GaloisField kField{};

// g(x) = prod_{i=0..11} (x - alpha^i), highest degree first, g[0] = 1.
constexpr std::array<std::uint8_t, kCheck + 1> make_generator() {
  std::array<std::uint8_t, kCheck + 1> g{};
  g[0] = 1;
  std::size_t degree = 0;
  for (std::size_t i = 0; i < kCheck; ++i) {
    const std::uint8_t root = kField.exp[i];
    // multiply by (x + root): new[j] = g[j] + root * g[j-1]
    for (std::size_t j = degree + 1; j > 0; --j) {
      g[j] = static_cast<std::uint8_t>(g[j] ^ kField.mul(g[j - 1], root));
    }
    ++degree;
  }
  return g;
}

constexpr auto kGenerator = make_generator();

}  // namespace

RsCheckBytes rs_check_bytes(std::span<const std::uint8_t, 32> data) {
  // Remainder of data(x) * x^12 divided by g(x), by synthetic division.
  std::array<std::uint8_t, 32 + kCheck> work{};
  for (std::size_t i = 0; i < data.size(); ++i) work[i] = data[i];
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::uint8_t coef = work[i];
    if (coef == 0) continue;
    for (std::size_t j = 1; j <= kCheck; ++j) {
      work[i + j] = static_cast<std::uint8_t>(work[i + j] ^ kField.mul(kGenerator[j], coef));
    }
  }
  RsCheckBytes check{};
  for (std::size_t i = 0; i < kCheck; ++i) check[i] = work[data.size() + i];
  return check;
}

}  // namespace espfab::emulator
