#include "cmp/tls_front.hpp"

#include <vector>

#include "cmp/cmp_mock_server.hpp"

namespace espfab::test {

namespace {

std::vector<std::string> socat_argv(int port, const std::filesystem::path& cert, const std::filesystem::path& key,
                                    int backend_port) {
  return {"socat", "-d", "-d",
          "OPENSSL-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,reuseaddr,fork,verify=0,cert=" + cert.string() +
              ",key=" + key.string(),
          "TCP:127.0.0.1:" + std::to_string(backend_port)};
}

}  // namespace

// Ready when it logs "listening on"; its own process group, so the per-connection children stop too.
TlsFront::TlsFront(std::filesystem::path log_file, const std::filesystem::path& cert, const std::filesystem::path& key,
                   int backend_port)
    : port_(free_port()), process_(socat_argv(port_, cert, key, backend_port), std::move(log_file), "listening on") {}

}  // namespace espfab::test
