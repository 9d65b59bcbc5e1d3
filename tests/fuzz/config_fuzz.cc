// Fuzz target: agent::LoadConfig over an arbitrary config.json (a file the
// user may edit by hand). Never crashes; a config that loads saves and loads
// again to the same values (SaveConfig writes what LoadConfig reads).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/config.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace holdfast;

bool SameSources(const agent::SourceConfig& a, const agent::SourceConfig& b) {
  return a.name == b.name && a.kind == b.kind && a.path == b.path && a.eds_collections == b.eds_collections &&
         a.loss_percent == b.loss_percent &&
         a.loss_min_items == b.loss_min_items;
}

bool SameRemotes(const agent::RemoteConfig& a, const agent::RemoteConfig& b) {
  return a.name == b.name && a.url == b.url && a.account == b.account && a.token_file == b.token_file &&
         a.ca_file == b.ca_file && a.insecure_plain_http == b.insecure_plain_http;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path path = fuzz::ScratchDir() / "config.json";
  const std::filesystem::path saved = fuzz::ScratchDir() / "saved" / "config.json";
  fuzz::WriteFile(path, std::string_view(reinterpret_cast<const char*>(data), size));
  Result<agent::Config> config = agent::LoadConfig(path);
  if (!config) {
    HOLDFAST_FUZZ_CHECK(config.error().code() == ErrorCode::kMalformedInput, "an unexpected error code");
    return 0;
  }
  Status written = agent::SaveConfig(saved, *config);
  HOLDFAST_FUZZ_CHECK(written.ok(), "a loaded config cannot be saved");
  Result<agent::Config> again = agent::LoadConfig(saved);
  HOLDFAST_FUZZ_CHECK(static_cast<bool>(again), "a saved config does not load");
  HOLDFAST_FUZZ_CHECK(again->sources.size() == config->sources.size() &&
                          again->remotes.size() == config->remotes.size(),
                      "a saved config loads with other counts");
  for (size_t i = 0; i < config->sources.size(); ++i) {
    HOLDFAST_FUZZ_CHECK(SameSources(config->sources[i], again->sources[i]), "a source changes when saved");
  }
  for (size_t i = 0; i < config->remotes.size(); ++i) {
    HOLDFAST_FUZZ_CHECK(SameRemotes(config->remotes[i], again->remotes[i]), "a remote changes when saved");
  }
  return 0;
}
