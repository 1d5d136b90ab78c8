// Loopback ports for tests that start servers: a port nobody listens on, and whether one accepts.
#pragma once

namespace espfab::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bound, read back, closed).
int free_loopback_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool loopback_port_open(int port);

}  // namespace espfab::test
