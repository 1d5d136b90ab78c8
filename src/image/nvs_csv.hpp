// The CSV input of ESP-IDF's nvs_partition_gen.py: a header row naming the columns key, type,
// encoding, value; then one row per namespace or value. Types: namespace, data, file (the value is
// a path, read through the caller's loader); encodings: u8, i8, u16, i16, u32, i32, u64, i64,
// string, hex2bin, base64, binary. Lines starting with '#' are skipped.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "image/nvs_format.hpp"
#include "util/bytes.hpp"

namespace espfab::image {

// Reads the file a `file` row names (the ESP-IDF tool resolves relative paths against the current
// directory). Throws espfab::Error when it cannot.
using NvsFileLoader = std::function<Bytes(const std::string& path)>;

// Throws BadInputError naming the line and the problem: unknown type or encoding, a value that does
// not parse or fit its type, a key longer than 15 characters, a non-ASCII string (the generator
// counts characters, not bytes, and would write a corrupt entry).
std::vector<NvsItem> parse_nvs_csv(std::string_view text, const NvsFileLoader& load_file);

// Python binascii.a2b_base64 in its default (non-strict) mode: characters outside the alphabet
// are skipped; the padding must be right. Throws BadInputError.
Bytes decode_base64_lenient(std::string_view text);

}  // namespace espfab::image
