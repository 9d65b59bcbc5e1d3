#include "tests/support/server_process.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

namespace holdfast::testing {

std::string ServerBinary() {
  const char* bin = std::getenv("HOLDFAST_SERVER_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "run with ctest: HOLDFAST_SERVER_BIN is not set");
  return bin;
}

ServerProcess::ServerProcess(const std::string& data_dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {ServerBinary(), "serve", "--data", data_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  child_ = std::make_unique<ChildProcess>(args);
  for (int i = 0; i < 100 && child_->output().find('\n') == std::string::npos; ++i) child_->ReadFor(50);
  const std::string& out = child_->output();
  const size_t colon = out.find("127.0.0.1:");
  REQUIRE_MESSAGE(colon != std::string::npos, "the server did not start: " << out);
  port_ = std::atoi(out.c_str() + colon + 10);
  REQUIRE(port_ > 0);
  const bool tls = out.find("(https)") != std::string::npos;
  url_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

ServerProcess::~ServerProcess() = default;  // ChildProcess kills and reaps

std::string AddAccount(const std::string& data_dir, const std::string& account) {
  ProcessResult made = RunProcess({ServerBinary(), "add-account", "--data", data_dir, "--account", account});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  std::string token = made.out;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  REQUIRE(token.size() == 64);
  return token;
}

void WriteTokenFile(const std::filesystem::path& path, const std::string& token) {
  WriteFileBytes(path, token + "\n");
  REQUIRE(chmod(path.c_str(), 0600) == 0);
}

std::unique_ptr<platform::HttpClient> TestHttpClient() {
  REQUIRE(platform::InitHttpLibrary().ok());
  platform::HttpOptions options;
  options.max_response_bytes = size_t{64} << 20;
  Result<std::unique_ptr<platform::HttpClient>> http = platform::HttpClient::Create(options);
  REQUIRE(http.has_value());
  return std::move(*http);
}

platform::HttpResponse CallServer(platform::HttpClient& http, const std::string& method, const std::string& url,
                                  std::string body, const std::string& bearer) {
  platform::HttpRequest request;
  request.method = method;
  request.url = url;
  if (!bearer.empty()) request.headers.push_back("Authorization: Bearer " + bearer);
  request.headers.push_back(url.find("/blobs/") != std::string::npos ? "Content-Type: application/octet-stream"
                                                                     : "Content-Type: application/json");
  request.body = std::move(body);
  platform::HttpResponse response = http.Perform(std::move(request));
  REQUIRE_MESSAGE(response.transport.ok(), response.transport.ToString());
  return response;
}

}  // namespace holdfast::testing
