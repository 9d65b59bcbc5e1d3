// A TCP socket bound to 127.0.0.1 on a port the kernel picks, for tests that
// run their own small servers or need a port nobody listens on.
#pragma once

namespace holdfast::testing {

// Creates a TCP socket (close-on-exec) bound to 127.0.0.1:0 and sets *port to
// the port it got. Returns the socket; the caller listens on it or closes it.
// A failure fails the test (REQUIRE).
int BindLoopback(int* port);

}  // namespace holdfast::testing
