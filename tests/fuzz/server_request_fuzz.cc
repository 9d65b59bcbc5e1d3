// Fuzz target: one raw HTTP request (request line, headers, body) through
// the reference server's routes (tools/server/http_api), in process, over a
// store in a scratch folder that holds account "phone" with a collection
// "book". "@TOKEN@" in the input is replaced by phone's token, so that
// bodies get past authentication. Never crashes, never throws; every answer
// is a status between 200 and 599, and an error answer is problem+json.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_support.h"
#include "tools/server/http_api.h"

namespace {

using namespace holdfast;

// The request's bytes in, the answer's bytes out.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string input) : input_(std::move(input)) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, input_.size() - position_);
    input_.copy(ptr, n, position_);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.9", port = 40000; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 8443; }
  socket_t socket() const override { return -1; }
  const std::string& output() const { return output_; }

 private:
  std::string input_;
  size_t position_ = 0;
  std::string output_;
};

class InProcessServer : public httplib::Server {
 public:
  std::string Serve(std::string request) {
    MemoryStream stream(std::move(request));
    bool closed = false;
    process_request(stream, true, closed, nullptr);
    return stream.output();
  }
};

struct Fixture {
  std::unique_ptr<server::ServerStore> store;
  std::string token;
  server::FaultInjector faults{server::FaultSpec{}};
  std::unique_ptr<server::Api> api;
  InProcessServer http;

  Fixture() {
    const std::filesystem::path dir = fuzz::ScratchDir() / "server";
    std::filesystem::remove_all(dir);
    store = std::move(*server::ServerStore::Open(dir));
    token = *store->AddAccount("phone");
    HOLDFAST_FUZZ_CHECK(store->PutCollection("phone", "book", "contact", "P").has_value(), "no collection");
    api = std::make_unique<server::Api>(*store, faults);
    api->Install(http);
    http.set_payload_max_length(server::kMaxJsonBodyBytes + 4096);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  std::string request(reinterpret_cast<const char*>(data), size);
  for (size_t at = request.find("@TOKEN@"); at != std::string::npos; at = request.find("@TOKEN@", at)) {
    request.replace(at, 7, fixture.token);
  }
  const std::string answer = fixture.http.Serve(std::move(request));
  if (answer.empty()) return 0;  // httplib closed a request it could not read
  HOLDFAST_FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0 && answer.size() > 12, "not an HTTP answer");
  const int status = std::stoi(answer.substr(9, 3));
  HOLDFAST_FUZZ_CHECK(status >= 200 && status <= 599, "a status out of range");
  HOLDFAST_FUZZ_CHECK(status != 500, "a 500: an unexpected exception or a store error");
  if (status >= 400 && status != 404 && status != 413) {
    HOLDFAST_FUZZ_CHECK(answer.find("application/problem+json") != std::string::npos, "an error that is not problem+json");
  }
  return 0;
}
