// Loopback ports for tests that start servers: a port nobody listens on, and whether one accepts.
#pragma once

#include <netinet/in.h>

namespace espfab::test {

// 127.0.0.1:port as a socket address (port 0: any free port, for bind).
sockaddr_in loopback_address(int port);

// A TCP port on 127.0.0.1 that was free a moment ago (bound and closed), below the ephemeral range.
int free_loopback_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool loopback_port_open(int port);

}  // namespace espfab::test
