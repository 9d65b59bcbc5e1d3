// Fuzz target: every JSON text the agent reads from outside, the way the
// agent reads it. The first byte chooses the kind, the rest is the body:
//   0 GET /state                      ParseJsonReply + ParseStateReply
//   1 POST .../batch                  ParseJsonReply + ParseBatchReply (the
//                                     second byte gives the entries sent)
//   2 PUT /blobs/.. 200               ParseJsonReply + ParseBlobChunkReply + NextBlobOffset
//                                     (the second byte gives the blob's size)
//   3 PUT /blobs/.. 409               ParseJsonReply + ParseBlobConflictReply (size likewise)
//   4 GET .../inventory               ParseJsonReply + ParseInventoryPage (the second
//                                     byte gives the page asked for)
//   5 an error answer (problem+json)  ProblemStatus (the second byte: HTTP status - 300)
//   6 a line of an archive manifest   ParseManifestLine
// Never crashes, never throws; whatever is returned either holds a value or
// an error with a message, and an upload or listing always moves forward.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/archive/archive_format.h"
#include "agent/sync/remote_client.h"
#include "agent/sync/replies.h"
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
    case 2: {
      Result<agent::BlobChunkReply> chunk = agent::ParseBlobChunkReply(*body, what);
      CheckResult(chunk);
      if (chunk && !chunk->complete) {
        // A blob of (arg * 64 KiB) bytes, a chunk of a quarter of it sent from its middle.
        const uint64_t blob_size = uint64_t{arg} << 16, offset = blob_size / 2, length = blob_size / 4;
        Result<uint64_t> next = agent::NextBlobOffset(*chunk, offset, length, blob_size, what);
        CheckResult(next);
        if (next) HOLDFAST_FUZZ_CHECK(*next > offset && *next <= blob_size, "an upload that does not advance");
      }
      break;
    }
    case 3: {
      const uint64_t blob_size = uint64_t{arg} << 16;
      Result<uint64_t> held = agent::ParseBlobConflictReply(*body, blob_size, what);
      CheckResult(held);
      if (held) HOLDFAST_FUZZ_CHECK(*held <= blob_size, "a conflict offset past the blob");
      break;
    }
    case 4: {
      const std::string after(arg % 4, 'm');  // "", "m", "mm", "mmm"
      Result<agent::InventoryPage> page = agent::ParseInventoryPage(*body, after, what);
      CheckResult(page);
      if (page && !page->next.empty()) HOLDFAST_FUZZ_CHECK(page->next > after, "a listing that does not advance");
      break;
    }
  }
  return 0;
}
