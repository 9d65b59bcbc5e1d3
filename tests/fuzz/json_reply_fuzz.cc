// Fuzz target: every JSON text the agent reads from outside, the way the
// agent reads it. The first byte chooses the kind, the rest is the body:
//   0 GET /state                      ParseJsonReply + ParseStateReply
//   1 POST .../batch                  ParseJsonReply + ParseBatchReply (the
//                                     second byte gives the entries sent)
//   2 PUT /blobs/.. 200               ParseJsonReply + ParseBlobChunkReply
//   3 PUT /blobs/.. 409               ParseJsonReply + ParseBlobConflictReply
//   4 GET .../inventory               ParseJsonReply + ParseInventoryPage
//   5 an error answer (problem+json)  ProblemStatus (the second byte: HTTP status - 300)
//   6 a line of an archive manifest   ParseManifestLine
// Never crashes, never throws; whatever is returned either holds a value or
// an error with a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/archive_format.h"
#include "agent/remote_client.h"
#include "agent/replies.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace holdfast;

template <typename T>
void CheckResult(const Result<T>& result) {
  if (!result) {
    HOLDFAST_FUZZ_CHECK(result.error().code() == ErrorCode::kServerError ||
                            result.error().code() == ErrorCode::kMalformedInput,
                        "an unexpected error code");
    HOLDFAST_FUZZ_CHECK(!result.error().message().empty(), "an error without a message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int kind = data[0] % 7;
  const uint8_t arg = data[1];
  platform::HttpResponse response;
  response.status = 200;
  response.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::string what = "fuzz";

  if (kind == 5) {
    response.status = 300 + arg;
    Status status = agent::ProblemStatus(response, what);
    HOLDFAST_FUZZ_CHECK(!status.ok(), "an error answer read as success");
    return 0;
  }
  if (kind == 6) {
    CheckResult(agent::ParseManifestLine(response.body, 1));
    return 0;
  }
  Result<nlohmann::json> body = agent::ParseJsonReply(response, what);
  CheckResult(body);
  if (!body) return 0;
  switch (kind) {
    case 0: {
      Result<agent::StateReply> state = agent::ParseStateReply(*body, what);
      CheckResult(state);
      break;
    }
    case 1: {
      const size_t puts = arg & 0x0F, deletes = arg >> 4;
      Result<agent::BatchReply> batch = agent::ParseBatchReply(*body, puts, deletes, what);
      CheckResult(batch);
      if (batch) {
        HOLDFAST_FUZZ_CHECK(batch->put_status.size() == puts && batch->delete_status.size() == deletes,
                            "not one status per entry sent");
      }
      break;
    }
    case 2:
      CheckResult(agent::ParseBlobChunkReply(*body, what));
      break;
    case 3:
      CheckResult(agent::ParseBlobConflictReply(*body, what));
      break;
    case 4:
      CheckResult(agent::ParseInventoryPage(*body, what));
      break;
  }
  return 0;
}
