// Fuzz target: platform::ReadVcardFile over arbitrary bytes (a .vcf file a
// user or another app left on the device). Never crashes; on success every
// item keeps the contract of vcard_reader.h: its raw bytes are the whole file
// or a slice of it starting at its BEGIN line, its summary is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/pim/vcard_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace holdfast;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<std::vector<platform::PimItem>> items = platform::ReadVcardFile(bytes, "fuzz.vcf");
  if (!items) {
    HOLDFAST_FUZZ_CHECK(!items.error().message().empty(), "an error without a message");
    return 0;
  }
  HOLDFAST_FUZZ_CHECK(!items->empty(), "success without a card");
  for (const platform::PimItem& item : *items) {
    HOLDFAST_FUZZ_CHECK(fuzz::IsValidUtf8(item.summary), "summary is not valid UTF-8");
    HOLDFAST_FUZZ_CHECK(item.first_line >= 1, "first_line below 1");
    if (items->size() == 1) {
      HOLDFAST_FUZZ_CHECK(item.raw == bytes, "a single card's raw is not the whole file");
    } else {
      HOLDFAST_FUZZ_CHECK(bytes.find(item.raw) != std::string_view::npos, "raw is not a slice of the file");
      // Each card of a multi-card file reads back on its own as one card.
      Result<std::vector<platform::PimItem>> again = platform::ReadVcardFile(item.raw, "item.vcf");
      HOLDFAST_FUZZ_CHECK(again && again->size() == 1, "a card's raw does not read back as one card");
      HOLDFAST_FUZZ_CHECK((*again)[0].uid == item.uid, "a card's uid changes when read back alone");
    }
  }
  return 0;
}
