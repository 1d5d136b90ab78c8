#include "label/qr_matrix.hpp"

#include <qrencode.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "util/error.hpp"

namespace espfab::label {
namespace {

struct QrCodeDeleter {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
using QrCodePtr = std::unique_ptr<QRcode, QrCodeDeleter>;

}  // namespace

QrMatrix encode_qr(std::string_view payload) {
  if (payload.empty() || payload.find('\0') != std::string_view::npos) {
    throw BadInputError("label.qr_bad_payload", "a QR payload must be non-empty text without NUL bytes",
                        "encode the label fields with encode_label_payload");
  }
  const std::string text(payload);
  errno = 0;
  const QrCodePtr code(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!code) {
    const int err = errno;
    if (err == ERANGE || err == EINVAL) {
      throw BadInputError("label.qr_too_long",
                          fmt::format("a payload of {} bytes does not fit a QR code at ECC level M", payload.size()),
                          "shorten the label fields");
    }
    throw InternalError("label.qr_encode_failed", fmt::format("libqrencode failed: {}", std::strerror(err)));
  }
  QrMatrix matrix;
  matrix.width = code->width;
  const std::size_t modules = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  matrix.dark.resize(modules);
  for (std::size_t i = 0; i < modules; ++i) matrix.dark[i] = (code->data[i] & 1U) != 0;
  return matrix;
}

}  // namespace espfab::label
