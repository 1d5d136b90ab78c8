// Host work a step starts on a worker thread for a later step of the same device, so the station
// computes while the device is busy instead of while it waits: issue-identity's key pair is made
// during the factory flash, the production images are encrypted for this device's key during the
// flash-encryption key burn (docs/station.md, "Host work while the device is busy").
//
// One kind of work per result type. A later step takes the result, waiting for the work if it is
// not done; an exception the work threw is rethrown by take(), in the step that needed the result,
// as if the step had done the work itself. Starting the same kind again (a retried step) replaces
// the earlier work; a step that fails after taking a result may put it back for its retry. clear() waits for unfinished
// work and destroys every result nobody took: a result holding a secret wipes it in its destructor, as the pipeline's
// outputs do.
//
// Only the device's own pipeline thread calls start/take/clear; the work itself must not touch
// the DeviceContext (it gets copies of what it needs).
#pragma once

#include <cstddef>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <typeindex>
#include <utility>

namespace espfab::station {

class BackgroundWork {
 public:
  BackgroundWork() = default;
  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;
  BackgroundWork(BackgroundWork&&) = delete;
  BackgroundWork& operator=(BackgroundWork&&) = delete;
  ~BackgroundWork() { clear(); }

  // `work` returns a T; it may own move-only secrets (it is moved to the worker thread).
  template <class T, class Work>
  void start(Work work) {
    auto future = std::make_shared<std::future<T>>(std::async(std::launch::async, std::move(work)));
    pending_[std::type_index(typeid(T))] = std::move(future);
  }

  // The result of the work of type T started earlier (waiting for it), or nullopt when none was
  // started or it was taken already.
  template <class T>
  std::optional<T> take() {
    const auto it = pending_.find(std::type_index(typeid(T)));
    if (it == pending_.end()) return std::nullopt;
    auto future = std::static_pointer_cast<std::future<T>>(it->second);
    pending_.erase(it);
    return std::optional<T>(future->get());
  }

  // Gives a taken result back, ready, for the next take() (a step that failed after taking it, so
  // its retry needs no second computation). Replaces any work of type T.
  template <class T>
  void put_back(T result) {
    std::promise<T> ready;
    ready.set_value(std::move(result));
    pending_[std::type_index(typeid(T))] = std::make_shared<std::future<T>>(ready.get_future());
  }
  bool has(std::type_index type) const { return pending_.count(type) != 0; }
  std::size_t size() const noexcept { return pending_.size(); }

  // Waits for all unfinished work and destroys the results: the last future of a std::async task
  // waits for it in its destructor; an exception nobody read is dropped with it.
  void clear() noexcept { pending_.clear(); }

 private:
  std::map<std::type_index, std::shared_ptr<void>> pending_;  // std::future<T> per type
};

}  // namespace espfab::station
