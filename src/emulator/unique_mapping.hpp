// Owns one memory mapping (unmapped on destruction): the emulator's RAII for its flash file
// mapping. File descriptors are owned by util's UniqueFd.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <utility>

namespace espfab::emulator {

class UniqueMapping {
 public:
  UniqueMapping() = default;
  UniqueMapping(void* address, std::size_t size) noexcept : address_(address), size_(size) {}
  ~UniqueMapping() { reset(); }
  UniqueMapping(UniqueMapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  UniqueMapping& operator=(UniqueMapping&& other) noexcept {
    if (this != &other) {
      reset();
      address_ = std::exchange(other.address_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  UniqueMapping(const UniqueMapping&) = delete;
  UniqueMapping& operator=(const UniqueMapping&) = delete;

  void* get() const noexcept { return address_; }
  std::size_t size() const noexcept { return size_; }
  void reset() noexcept {
    if (address_ != nullptr) ::munmap(address_, size_);
    address_ = nullptr;
    size_ = 0;
  }

 private:
  void* address_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace espfab::emulator
