// Test support: the real reference server (tools/server) on 127.0.0.1, in
// a process of its own, on a port the kernel picks; stopped by the destructor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "platform/http_client.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

// Path of the built holdfast-server (from $HOLDFAST_SERVER_BIN, set by ctest).
std::string ServerBinary();

class ServerProcess {
 public:
  // Starts `holdfast-server serve --data DATA --listen 127.0.0.1:0` with the
  // extra arguments (--faults, --tls-cert ...), and waits for its port.
  ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra = {});
  ~ServerProcess();
  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (or https with TLS).
  std::string url() const { return url_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
  std::string url_;
};

// `holdfast-server add-account`: the new account's token.
std::string AddAccount(const std::string& data_dir, const std::string& account);

// An HTTP client for tests: the agent's own (platform/http_client.h), taking
// answers of up to 64 MiB.
std::unique_ptr<platform::HttpClient> TestHttpClient();

// `method` `url` as a device sends it: `bearer` as the Authorization token
// (no header when empty), the content type the path wants (octet-stream for
// /blobs/, JSON otherwise). A transport error fails the test.
platform::HttpResponse CallServer(platform::HttpClient& http, const std::string& method, const std::string& url,
                                  std::string body, const std::string& bearer);

// Writes a token file readable by its owner only.
void WriteTokenFile(const std::filesystem::path& path, const std::string& token);

}  // namespace holdfast::testing
