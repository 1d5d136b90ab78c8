// Whole-file reads and crash-safe writes: a file is written to a temporary beside it, flushed,
// and renamed into place, so a reader never sees half a file and a failure leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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

// The append-only files the station keeps (audit log, CA index, manifests, rehearsals) grow for the
// life of a line, so they are read a line at a time, never whole; one line is bounded instead.
inline constexpr std::size_t kMaxLogLine = 1u << 20;

// Calls `on_line` with every line of `path` in order (without its '\n'; a last line without one is
// passed too) until it returns false. Returns false when the file does not exist (nothing recorded
// yet); throws IoError when it exists but cannot be read, BadInputError (io.line_too_long) naming
// the file, the line number and the limit when a line is longer than `max_line` (a wrong path such
// as /dev/zero, or a damaged file).
bool for_each_line(const std::filesystem::path& path, const std::function<bool(std::string_view)>& on_line,
                   std::size_t max_line = kMaxLogLine);

// A std::filesystem error (create_directories, copy, remove ...) as the IoError ("io.filesystem") it
// is: the operation, the path(s), the OS reason and a hint with the fix, for callers that report it.
IoError io_error_from(const std::filesystem::filesystem_error& error);

// Atomic replace (temp + fsync + rename). `mode` is applied to the new file before it appears
// (0600 for anything sensitive).
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644);
void write_text_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode = 0644);

// The same, for a file that must not exist yet (a key): the complete file appears under `path` or
// nothing does, and an existing file is never replaced — IoError "io.exists" then.
void write_new_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0600);

}  // namespace espfab
