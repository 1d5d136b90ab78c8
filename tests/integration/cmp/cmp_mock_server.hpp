// `openssl cmp` as a mock CMP server (cookbook §2): it answers every request with the fixed
// certificate given by -rsp_cert, signs nothing, and exercises protection, P10CR -> CP ->
// certConf -> PKIConf, polling and rejections. Listens on every interface (OpenSSL 3.0 cannot bind
// to loopback only) on a free port; stopped when destroyed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cmp/logged_process.hpp"
#include "util/unique_fd.hpp"

namespace espfab::test {

class CmpMockServer {
 public:
  // `args` are the server options after -port/-max_msgs (e.g. -srv_ref, -srv_secret, -rsp_cert).
  // Throws std::runtime_error when the server does not start; its output goes to `log_file`.
  CmpMockServer(std::filesystem::path log_file, const std::vector<std::string>& args);

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/pkix/"; }
  std::string log() const { return process_.log(); }
  // HTTP requests the mock has received ("Received request" lines in its output).
  int requests() const;

 private:
  int port_ = 0;
  LoggedProcess process_;
};

// A loopback port nothing listens on (bound and released).
int free_port();

// A TCP listener that never accepts: connections complete in the kernel's backlog and requests
// are never answered (a hung CA).
class SilentListener {
 public:
  SilentListener();
  ~SilentListener() = default;
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  UniqueFd fd_;
  int port_ = 0;
};

}  // namespace espfab::test
