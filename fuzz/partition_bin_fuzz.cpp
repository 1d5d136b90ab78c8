// Fuzzes the binary partition-table reader: any input parses or throws espfab::Error, never
// crashes; a parsed table re-serialises and re-parses to the same table. Verification and the CSV
// writer run on whatever parses.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "image/partition_binary.hpp"
#include "image/partition_csv_writer.hpp"
#include "image/partition_verify.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab::image;
  const espfab::ByteView bytes(data, size);
  // The first byte picks the mode so both readers are covered by one corpus.
  const bool check_md5 = size == 0 || (data[0] & 1) == 0 || data[0] == 0xAA;
  PartitionTable table;
  try {
    table = read_partition_binary(bytes, check_md5);
  } catch (const espfab::Error&) {
    return 0;
  }
  (void)find_partition_problems(table, {.flash_size = 0x400000});
  // Every table the reader accepts fits the writer: at most 95 entries, names of at most 16 bytes.
  const bool with_md5 = table.entries.size() <= 94;
  const espfab::Bytes again = write_partition_binary(table, with_md5);  // a throw here is a bug
  if (again.size() != kPartitionTableMaxLength) std::abort();
  if (read_partition_binary(again, true) != table) std::abort();
  try {
    (void)write_partition_csv(table);
  } catch (const espfab::BadInputError&) {
  }
  return 0;
}
