// `espfab read-flash ADDR SIZE FILE`: read flash back into a file (written atomically).
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "progress_bar.hpp"
#include "service/flash_operations.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct ReadFlashArgs {
  std::string address;
  std::string size;
  std::string file;
};

void run(const ConnectionOptions& options, const ReadFlashArgs& args) {
  const std::uint32_t address = parse_u32(args.address, "address");
  const std::uint32_t size = parse_u32(args.size, "size");
  Device device(options);
  auto& session = device.session();
  const auto start = std::chrono::steady_clock::now();
  const Bytes data = service::read_flash(session, address, size, make_progress_bar(options.json));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_file_atomic(args.file, data);
  device.finish();
  if (options.json) {
    print_json({{"address", address}, {"size", size}, {"file", args.file}, {"seconds", seconds}});
  } else {
    std::cout << fmt::format("Read {} bytes at 0x{:x} in {:.2f} s into {}\n", size, address, seconds, args.file);
  }
}

const RegisterCommand kCommand{{
    "read-flash",
    "Read SIZE bytes of flash at ADDRESS into FILE",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      auto args = std::make_shared<ReadFlashArgs>();
      app.add_option("ADDRESS", args->address, "flash address (0x10000, 64K)")->required();
      app.add_option("SIZE", args->size, "bytes to read (0x1000, 4M)")->required();
      app.add_option("FILE", args->file, "output file")->required();
      app.callback([options, args] { run(*options, *args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
