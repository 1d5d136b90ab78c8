#include "emulator/virtual_flash.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace espfab::emulator {
namespace {

[[noreturn]] void throw_os(const std::string& what, const std::filesystem::path& path) {
  throw IoError("emulator.flash_file", what + " " + path.string() + ": " + std::strerror(errno),
                "check that the state directory exists and is writable");
}

}  // namespace

VirtualFlash::VirtualFlash(std::uint32_t size) : size_(size) {
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) throw IoError("emulator.flash_memory", "cannot map flash memory", {});
  mapping_ = UniqueMapping(map, size);
  data_ = static_cast<std::uint8_t*>(map);
  std::memset(data_, 0xFF, size_);
}

VirtualFlash::VirtualFlash(const std::filesystem::path& path, std::uint32_t size) : size_(size) {
  const bool existed = std::filesystem::exists(path);
  fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) throw_os("cannot open flash image", path);
  struct stat st {};
  if (fstat(fd_.get(), &st) != 0) throw_os("cannot stat flash image", path);
  if (existed && static_cast<std::uint64_t>(st.st_size) != size) {
    throw BadInputError("emulator.flash_size_mismatch",
                        "flash image " + path.string() + " has " + std::to_string(st.st_size) +
                            " bytes, the device is configured for " + std::to_string(size),
                        "use the --flash-size the state directory was created with, or remove the image");
  }
  if (!existed && ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) throw_os("cannot size flash image", path);
  void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (map == MAP_FAILED) throw_os("cannot map flash image", path);
  mapping_ = UniqueMapping(map, size);
  data_ = static_cast<std::uint8_t*>(map);
  if (!existed) std::memset(data_, 0xFF, size_);
}

VirtualFlash::~VirtualFlash() { sync(); }

void VirtualFlash::sync() {
  if (fd_ && data_ != nullptr) msync(data_, size_, MS_SYNC);
}

void VirtualFlash::check(std::uint64_t offset, std::uint64_t length) const {
  if (!in_range(offset, length)) {
    throw BadInputError(
        "emulator.flash_range",
        "flash access at " + hex(offset) + " + " + hex(length) + " is outside the " + hex(size_) + "-byte flash", {});
  }
}

ByteView VirtualFlash::view(std::uint32_t offset, std::uint32_t length) const {
  check(offset, length);
  return ByteView(data_ + offset, length);
}

void VirtualFlash::erase(std::uint32_t offset, std::uint32_t length) {
  if (length == 0) return;
  const std::uint64_t start = offset / kSectorSize * std::uint64_t{kSectorSize};
  const std::uint64_t end = align_up(std::uint64_t{offset} + length, kSectorSize);
  check(start, end - start);
  std::memset(data_ + start, 0xFF, end - start);
  activity_.sectors_erased += (end - start) / kSectorSize;
}

void VirtualFlash::erase_block(std::uint32_t offset) {
  if (offset % kBlockSize != 0) {
    throw BadInputError("emulator.flash_block_unaligned", "block erase at an address that is not 64 KiB aligned",
                        "erase sectors up to the next 64 KiB boundary first");
  }
  check(offset, kBlockSize);
  std::memset(data_ + offset, 0xFF, kBlockSize);
  ++activity_.blocks_erased;
}

void VirtualFlash::erase_all() {
  std::memset(data_, 0xFF, size_);
  ++activity_.chip_erases;
}

void VirtualFlash::program(std::uint32_t offset, ByteView data) {
  check(offset, data.size());
  std::uint8_t* target = data_ + offset;
  for (std::size_t i = 0; i < data.size(); ++i) target[i] = static_cast<std::uint8_t>(target[i] & data[i]);
  activity_.bytes_programmed += data.size();
}

}  // namespace espfab::emulator
