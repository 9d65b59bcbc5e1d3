// Test support: a certificate authority made at test time, and server
// certificates it signs for 127.0.0.1, valid now or already expired.
#pragma once

#include <filesystem>

namespace holdfast::testing {

struct TestCerts {
  std::filesystem::path ca_pem;        // the authority's certificate: --ca-file
  std::filesystem::path server_pem;    // valid now, for IP 127.0.0.1
  std::filesystem::path server_key;
  std::filesystem::path expired_pem;   // same key, valid only in the past
};

// Writes the files into `dir` (OpenSSL's libcrypto, RSA 2048, SHA-256).
TestCerts MakeTestCerts(const std::filesystem::path& dir);

}  // namespace holdfast::testing
