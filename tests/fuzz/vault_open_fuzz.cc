// Fuzz target: opening a damaged vault file. A small valid vault (a contact,
// an event and a photo blob) is made once per process; each input then says
// how to damage a copy of it, which storage::Vault::Open opens and, when it
// opens, Verify checks and the listing functions read. Each must give an
// error or a report, never a crash.
//
// Input: records of 4 bytes, each a 3-byte little-endian offset (modulo the
// file's size) and the byte to write there. 1 to 3 bytes left over truncate
// the file to (first left-over byte / 256) of its size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "platform/files.h"
#include "storage/vault.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace holdfast;

std::string MakeTemplate() {
  const std::filesystem::path path = fuzz::ScratchDir() / "template" / "vault.db";
  {
    Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(path, storage::Vault::OpenMode::kCreate);
    HOLDFAST_FUZZ_CHECK(static_cast<bool>(vault), "cannot create the template vault");
    Result<int64_t> books = (*vault)->EnsureCollection(storage::ItemKind::kContact, "personal", "phone");
    Result<int64_t> cal = (*vault)->EnsureCollection(storage::ItemKind::kEvent, "home", "phone");
    Result<int64_t> camera = (*vault)->EnsureCollection(storage::ItemKind::kPhoto, "Camera", "phone");
    HOLDFAST_FUZZ_CHECK(books && cal && camera, "cannot make collections");
    HOLDFAST_FUZZ_CHECK(static_cast<bool>((*vault)->PutItem(
                            *books, "ada", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n", "Ada", 1)),
                        "cannot put a contact");
    HOLDFAST_FUZZ_CHECK(static_cast<bool>((*vault)->PutItem(
                            *books, "ada", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada L\r\nEND:VCARD\r\n", "Ada L", 2)),
                        "cannot put a second revision");
    HOLDFAST_FUZZ_CHECK(static_cast<bool>((*vault)->PutItem(*cal, "e1",
                                                            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
                                                            "END:VEVENT\r\nEND:VCALENDAR\r\n",
                                                            "", 3)),
                        "cannot put an event");
    std::string photo(3000, 'p');
    size_t offset = 0;
    Result<storage::BlobRef> ref = (*vault)->blobs().PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
      const size_t n = std::min(capacity, photo.size() - offset);
      std::copy_n(photo.data() + offset, n, buffer);
      offset += n;
      return n;
    });
    HOLDFAST_FUZZ_CHECK(ref && (*vault)->PutItemBlob(*camera, "IMG_1.jpg", *ref, "", 4), "cannot put a photo");
    HOLDFAST_FUZZ_CHECK(static_cast<bool>((*vault)->TombstoneItem(*cal, "e1", 5)), "cannot delete an item");
  }
  Result<std::string> bytes = platform::ReadWholeFile(path, size_t{16} << 20);
  HOLDFAST_FUZZ_CHECK(static_cast<bool>(bytes), "cannot read the template vault");
  return *bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kTemplate = MakeTemplate();
  std::string file = kTemplate;
  size_t i = 0;
  for (; i + 4 <= size; i += 4) {
    const size_t at = (size_t{data[i]} | size_t{data[i + 1]} << 8 | size_t{data[i + 2]} << 16) % file.size();
    file[at] = static_cast<char>(data[i + 3]);
  }
  if (i < size) file.resize(file.size() * data[i] / 256);

  const std::filesystem::path dir = fuzz::ScratchDir() / "damaged";
  const std::filesystem::path path = dir / "vault.db";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  fuzz::WriteFile(path, file);

  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(path, storage::Vault::OpenMode::kExisting);
  if (!vault) {
    HOLDFAST_FUZZ_CHECK(!vault.error().message().empty(), "an error without a message");
    return 0;
  }
  Result<storage::VerifyReport> report = (*vault)->Verify();
  if (report) {
    for (const storage::Damage& d : report->damage) HOLDFAST_FUZZ_CHECK(!d.what.empty(), "damage without a kind");
  }
  Result<std::vector<storage::CollectionInfo>> collections = (*vault)->ListCollections();
  if (collections) {
    for (const storage::CollectionInfo& c : *collections) {
      Result<std::vector<storage::ItemRecord>> items = (*vault)->ListItems(c.id);
      (void)items;
    }
  }
  return 0;
}
