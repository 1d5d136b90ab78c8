// Fuzzes the NVS reader and the CSV reader: any input reads or throws BadInputError, never
// crashes; every value the reader reports came from a page it accepted. The first byte picks the
// mode: NVS partition (plain, or decrypted with a fixed key first) or CSV text.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/nvs_csv.hpp"
#include "image/nvs_keys.hpp"
#include "image/nvs_reader.hpp"
#include "image/nvs_writer.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab::image;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 3;
  const espfab::ByteView bytes(data + 1, size - 1);
  try {
    if (mode == 2) {
      const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      const auto items = parse_nvs_csv(text, [](const std::string&) -> espfab::Bytes {
        throw espfab::BadInputError("fuzz.no_files", "no files while fuzzing");
      });
      (void)build_nvs_partition(items, 0x6000, {});
      return 0;
    }
    // Pad to whole pages so the reader gets past its size check.
    espfab::Bytes partition(bytes.begin(), bytes.end());
    partition.resize(
        (partition.size() + kNvsPageSize - 1) / kNvsPageSize * kNvsPageSize + (partition.empty() ? kNvsPageSize : 0),
        0xFF);
    if (partition.size() > 16 * kNvsPageSize) return 0;
    espfab::Bytes material(64);
    for (std::size_t i = 0; i < material.size(); ++i)
      material[i] = static_cast<std::uint8_t>(0x40 + i);  // nvs_keys_fixed.bin
    const NvsKeys keys{espfab::SecretBytes(material)};
    const NvsPartitionContents contents = read_nvs_partition(partition, mode == 1 ? &keys : nullptr);
    for (const auto& value : contents.values) {
      if (value.page * kNvsPageSize >= partition.size() || value.slot >= kNvsEntriesPerPage) std::abort();
    }
  } catch (const espfab::BadInputError&) {
  }
  return 0;
}
