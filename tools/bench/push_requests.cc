// holdfast-bench-requests: writes, from a vault, the HTTP requests a first
// push of it makes (docs/protocol.md), as files and curl config files, so
// that the push benchmark can send the same requests with the curl tool.
//
//   OUT/collections.curl  one PUT per collection (run first)
//   OUT/blobs.curl        one PUT per blob chunk of 4 MiB (bodies in OUT/blobs/)
//   OUT/batches.curl      one POST per batch of up to 500 items (bodies in OUT/batches/)
//
// The batches are cut as holdfast push cuts them (per collection, 500
// entries or 4 MiB of content) with the same JSON. The token is written into
// the config files: they are benchmark scratch, mode 0600.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/sync/holdfast_backend.h"
#include "agent/sync/remote_client.h"
#include "platform/base64.h"
#include "platform/files.h"
#include "storage/ledger.h"
#include "storage/vault.h"

namespace {

using holdfast::Status;
namespace fs = std::filesystem;

constexpr size_t kMaxBatchEntries = 500;
constexpr size_t kMaxBatchInlineBytes = size_t{4} << 20;
constexpr uint64_t kChunkBytes = uint64_t{4} << 20;
constexpr uint64_t kMaxInlineItemBytes = uint64_t{1} << 20;

int Fail(const Status& status) {
  std::cerr << "holdfast-bench-requests: " << status.ToString() << "\n";
  return 1;
}

// One curl config entry; "next" separates it from the one before.
void Entry(std::ofstream& out, const std::string& method, const std::string& url, const std::string& body_file,
           const std::string& token, const std::string& type) {
  if (out.tellp() > 0) out << "next\n";
  out << "url = \"" << url << "\"\nrequest = " << method << "\nheader = \"Authorization: Bearer " << token
      << "\"\nheader = \"Content-Type: " << type << "\"\nheader = \"Expect:\"\ndata-binary = \"@" << body_file
      << "\"\noutput = /dev/null\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"holdfast-bench-requests: a vault's first push as files for the curl tool"};
  std::string vault_path, out_dir, base_url, account, token_file;
  app.add_option("--vault", vault_path)->required();
  app.add_option("--out", out_dir)->required();
  app.add_option("--url", base_url)->required();
  app.add_option("--account", account)->required();
  app.add_option("--token-file", token_file)->required();
  CLI11_PARSE(app, argc, argv);

  auto vault = holdfast::storage::Vault::Open(vault_path, holdfast::storage::Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error());
  auto token_bytes = holdfast::platform::ReadWholeFile(token_file, 4096);
  if (!token_bytes) return Fail(token_bytes.error());
  std::string token = *token_bytes;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  fs::create_directories(fs::path(out_dir) / "blobs");
  fs::create_directories(fs::path(out_dir) / "batches");
  const std::string account_url = base_url + "/v1/accounts/" + holdfast::agent::EncodePathSegment(account);

  auto collections = (*vault)->ListCollections();
  if (!collections) return Fail(collections.error());
  std::map<int64_t, std::string> ids;
  std::ofstream collections_cfg(out_dir + "/collections.curl");
  for (const auto& c : *collections) {
    ids[c.id] = holdfast::agent::RemoteCollectionId(c);
    const std::string body_file = out_dir + "/batches/collection-" + ids[c.id] + ".json";
    std::ofstream(body_file) << nlohmann::json{{"kind", holdfast::storage::ItemKindName(c.kind)}, {"name", c.name}}.dump();
    Entry(collections_cfg, "PUT", account_url + "/collections/" + ids[c.id], body_file, token, "application/json");
  }

  std::vector<holdfast::storage::PendingChange> pending;
  Status listed = holdfast::storage::Ledger(**vault, "bench-baseline").ForEachPending([&](holdfast::storage::PendingChange&& p) {
    pending.push_back(std::move(p));
    return Status::Ok();
  });
  if (!listed.ok()) return Fail(listed);

  std::ofstream blobs_cfg(out_dir + "/blobs.curl");
  std::ofstream batches_cfg(out_dir + "/batches.curl");
  int batch_count = 0;
  int64_t current_collection = -1;
  nlohmann::json puts = nlohmann::json::array();
  size_t inline_bytes = 0;
  auto flush = [&]() {
    if (puts.empty()) return;
    const std::string body_file = out_dir + "/batches/" + std::to_string(batch_count++) + ".json";
    std::ofstream(body_file) << nlohmann::json{{"put", puts}, {"delete", nlohmann::json::array()}}.dump();
    Entry(batches_cfg, "POST", account_url + "/collections/" + ids[current_collection] + "/batch", body_file, token,
          "application/json");
    puts = nlohmann::json::array();
    inline_bytes = 0;
  };
  for (const auto& p : pending) {
    if (p.collection_id != current_collection || puts.size() >= kMaxBatchEntries || inline_bytes >= kMaxBatchInlineBytes) {
      flush();
      current_collection = p.collection_id;
    }
    nlohmann::json entry = {{"uid", p.uid}, {"sha256", holdfast::platform::ToHex(p.sha256)}};
    if (p.in_blob || p.size_bytes > kMaxInlineItemBytes) {
      entry["blob"] = true;
      const std::string sha = holdfast::platform::ToHex(p.sha256);
      for (uint64_t offset = 0; offset < p.size_bytes || offset == 0; offset += kChunkBytes) {
        std::string chunk;
        Status read = (*vault)->blobs().ReadBlobRange(p.sha256, offset, kChunkBytes, [&](std::string_view bytes) {
          chunk.append(bytes);
          return Status::Ok();
        });
        if (!read.ok()) return Fail(read);
        const std::string body_file = out_dir + "/blobs/" + sha + "-" + std::to_string(offset);
        std::ofstream(body_file, std::ios::binary) << chunk;
        Entry(blobs_cfg, "PUT",
              account_url + "/blobs/" + sha + "?offset=" + std::to_string(offset) + "&size=" + std::to_string(p.size_bytes),
              body_file, token, "application/octet-stream");
        if (p.size_bytes == 0) break;
      }
    } else {
      auto content = (*vault)->ReadRevisionBytes(p.head_revision_id, kMaxInlineItemBytes);
      if (!content) return Fail(content.error());
      entry["content_base64"] = holdfast::platform::Base64Encode(*content);
      inline_bytes += content->size();
    }
    puts.push_back(std::move(entry));
  }
  flush();
  for (const char* name : {"/collections.curl", "/blobs.curl", "/batches.curl"}) chmod((out_dir + name).c_str(), 0600);
  std::cout << collections->size() << " collections, " << pending.size() << " items, " << batch_count << " batches\n";
  return 0;
}
