// Fuzz target: agent::ImportArchive over an arbitrary file in place of an
// export archive (plain tar or zstd tar, docs/formats.md). Never crashes; an
// archive refused in the first pass creates no vault, and one that imports
// leaves a vault that verifies clean.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/archive/archive_import.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace holdfast;
  const std::filesystem::path archive = fuzz::ScratchDir() / "archive.tar";
  const std::filesystem::path vault_dir = fuzz::ScratchDir() / "vault";
  fuzz::WriteFile(archive, std::string_view(reinterpret_cast<const char*>(data), size));
  std::error_code ec;
  std::filesystem::remove_all(vault_dir, ec);

  std::unique_ptr<storage::Vault> vault;
  Result<agent::ImportReport> report = agent::ImportArchive(archive, [&]() -> Result<storage::Vault*> {
    Result<std::unique_ptr<storage::Vault>> opened =
        storage::Vault::Open(vault_dir / "vault.db", storage::Vault::OpenMode::kCreate);
    if (!opened) return opened.error();
    vault = std::move(*opened);
    return vault.get();
  });
  if (!report) {
    HOLDFAST_FUZZ_CHECK(!report.error().message().empty(), "an error without a message");
    // The file does not change between the passes: a malformed archive is
    // refused in the first one, before any vault exists.
    HOLDFAST_FUZZ_CHECK(report.error().code() != ErrorCode::kMalformedInput || vault == nullptr,
                        "a malformed archive opened a vault");
    return 0;
  }
  HOLDFAST_FUZZ_CHECK(vault != nullptr, "an import without a vault");
  Result<storage::VerifyReport> verified = vault->Verify();
  HOLDFAST_FUZZ_CHECK(verified && verified->ok(), "an imported vault does not verify");
  return 0;
}
