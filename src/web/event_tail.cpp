#include "web/event_tail.hpp"

#include <chrono>
#include <fstream>
#include <string>

namespace espfab::web {

constexpr std::streamoff kStartWindow = 1 << 20;

EventTail::EventTail(std::filesystem::path file, FixtureBoard& board)
    : file_(std::move(file)), board_(board), thread_([this] { follow(); }) {}

EventTail::~EventTail() {
  stop_ = true;
  thread_.join();
}

void EventTail::follow() {
  std::streamoff offset = -1;  // not opened yet
  std::string partial;
  while (!stop_) {
    std::ifstream in(file_, std::ios::binary);
    if (in) {
      in.seekg(0, std::ios::end);
      const std::streamoff size = in.tellg();
      if (offset < 0 || size < offset) {
        offset = std::max<std::streamoff>(0, size - kStartWindow);  // first look, or a new file
        partial.clear();
      }
      in.seekg(offset);
      std::string chunk(static_cast<std::size_t>(size - offset), '\0');
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      offset = size;
      partial += chunk;
      for (auto end = partial.find('\n'); end != std::string::npos; end = partial.find('\n')) {
        const auto line = nlohmann::json::parse(partial.substr(0, end), nullptr, false);
        partial.erase(0, end + 1);
        if (line.is_object()) board_.on(event_from_json(line));
      }
    }
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace espfab::web
