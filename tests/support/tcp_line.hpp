// A plain TCP client for e2e tests: the emulator's control channel ("127.0.0.1:PORT") or a device
// port ("socket://..." or "rfc2217://...", read as raw bytes: the console text comes through).
#pragma once

#include <chrono>
#include <string>

#include "util/unique_fd.hpp"

namespace espfab::test {

class TcpLine {
 public:
  explicit TcpLine(std::string address);
  ~TcpLine() = default;
  TcpLine(const TcpLine&) = delete;
  TcpLine& operator=(const TcpLine&) = delete;
  void send(const std::string& text);
  // Reads until `needle` shows up (or `timeout` passes); returns everything read.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  UniqueFd fd_;
  std::string received_;
};

}  // namespace espfab::test
