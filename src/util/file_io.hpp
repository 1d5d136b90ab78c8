// Whole-file reads and crash-safe writes: a file is written to a temporary beside it, flushed,
// and renamed into place, so a reader never sees half a file and a failure leaves nothing behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "util/bytes.hpp"

namespace espfab {

// Throws IoError naming the path and the OS reason.
Bytes read_file(const std::filesystem::path& path);
std::string read_text_file(const std::filesystem::path& path);

// Atomic replace (temp + fsync + rename). `mode` is applied to the new file before it appears
// (0600 for anything sensitive).
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode = 0644);
void write_text_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode = 0644);

}  // namespace espfab
