// socat as a TLS front for the `openssl cmp` mock server (which speaks plain HTTP only): accepts
// TLS on a free loopback port with a test server certificate and forwards the decrypted bytes to
// 127.0.0.1:backend_port. Stopped, with the children it forked per connection, when destroyed.
#pragma once

#include <filesystem>
#include <string>

#include "cmp/logged_process.hpp"

namespace espfab::test {

class TlsFront {
 public:
  // Throws std::runtime_error when socat does not start; its log (-d -d) goes to `log_file`.
  TlsFront(std::filesystem::path log_file, const std::filesystem::path& cert, const std::filesystem::path& key,
           int backend_port);

  int port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_) + "/pkix/";
  }
  std::string log() const { return process_.log(); }

 private:
  int port_ = 0;
  LoggedProcess process_;
};

}  // namespace espfab::test
