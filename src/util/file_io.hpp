// Whole-file reads and crash-safe writes: a file is written to a temporary beside it, flushed,
// and renamed into place, so a reader never sees half a file and a failure leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/bytes.hpp"
#include "util/error.hpp"

namespace espfab {

// Every whole-file read is bounded, so a wrong path (/dev/zero, a FIFO, a disk image) is refused
// instead of filling memory. `name` says what the limit is; the error shows it.
struct ReadLimit {
  std::uint64_t max_bytes;
  std::string_view name;
};

// No input of espfab (a flash image, a key, a certificate, a profile) is larger than the largest
// flash an ESP32-S3 module carries.
inline constexpr ReadLimit kMaxInputFile{64u << 20, "64 MiB, the largest flash"};

// Throws IoError naming the path and the OS reason, BadInputError (io.too_large) naming the path
// and the limit when the file holds more than `limit.max_bytes`.
Bytes read_file(const std::filesystem::path& path, ReadLimit limit = kMaxInputFile);
std::string read_text_file(const std::filesystem::path& path, ReadLimit limit = kMaxInputFile);

// A std::filesystem error (create_directories, copy, remove ...) as the IoError ("io.filesystem") it
// is: the operation, the path(s), the OS reason and a hint with the fix, for callers that report it.
IoError io_error_from(const std::filesystem::filesystem_error& error);

// Atomic replace (temp + fsync + rename). `mode` is applied to the new file before it appears
// (0600 for anything sensitive).
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644);
void write_text_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode = 0644);

}  // namespace espfab
