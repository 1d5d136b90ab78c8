// The binary partition table (docs/idf-flash-formats.md §1 "Binary image"): 32-byte entries, an optional MD5 entry,
// then 0xFF up to 0xC00 bytes. The writer is byte-identical to gen_esp32part.py 1.5; the reader checks magic, MD5
// entry, end marker and every length against untrusted input.
#pragma once

#include "image/partition_table.hpp"
#include "util/bytes.hpp"

namespace espfab::image {

// 0xC00 bytes. Throws BadInputError when the table cannot be written as given: a name longer than
// 16 bytes or with a NUL in it, or too many entries (the table must stay below 0xC00 bytes: at
// most 94 partitions with the MD5 entry, 95 without).
Bytes write_partition_binary(const PartitionTable& table, bool with_md5 = true);

// Reads entries up to the end marker (32 x 0xFF) within the first 0xC00 bytes. With `check_md5`
// an entry starting EB EB must hold the MD5 of the entries before it and is skipped; without,
// it is a bad entry. Throws BadInputError naming the entry and the problem.
PartitionTable read_partition_binary(ByteView data, bool check_md5 = true);

// True when the bytes start like a binary table (AA 50 entry, EB EB MD5 entry, or FF end marker)
// rather than CSV text.
bool looks_like_partition_binary(ByteView data);

}  // namespace espfab::image
