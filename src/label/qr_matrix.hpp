// The QR symbol of a payload as a grid of modules (libqrencode, ECC level M, 8-bit mode).
#pragma once

#include <string_view>
#include <vector>

namespace espfab::label {

struct QrMatrix {
  int width = 0;           // modules per side (21 for version 1, +4 per version)
  std::vector<bool> dark;  // row-major, width * width

  bool is_dark(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
  }
};

// Smallest version that holds the payload at ECC level M. Throws BadInputError (label.qr_too_long)
// when no QR version holds it or it contains a NUL byte.
QrMatrix encode_qr(std::string_view payload);

}  // namespace espfab::label
