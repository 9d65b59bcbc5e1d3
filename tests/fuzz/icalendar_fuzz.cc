// Fuzz target: platform::ReadIcalendarFile and the merge functions of
// icalendar_merge.h over arbitrary bytes (an .ics file on the device). Never
// crashes. Invariants from the headers' contracts: summaries are valid UTF-8;
// a single item's raw is the whole file; a split item reads back alone as one
// item with the same uid; the items merged back with the file's own header
// read as the same number of items (when their uids differ).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "platform/pim/icalendar_merge.h"
#include "platform/pim/icalendar_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace holdfast;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // SplitCalendar and AddToCalendar take any text: only no crash is asked.
  Result<platform::CalendarParts> parts = platform::SplitCalendar(bytes, "fuzz.ics");
  if (parts) {
    for (const platform::CalendarParts::Block& block : parts->blocks) {
      HOLDFAST_FUZZ_CHECK(bytes.find(block.bytes) != std::string_view::npos, "a block is not a slice of the file");
    }
  }

  Result<std::vector<platform::PimItem>> items = platform::ReadIcalendarFile(bytes, "fuzz.ics");
  if (!items) {
    HOLDFAST_FUZZ_CHECK(!items.error().message().empty(), "an error without a message");
    return 0;
  }
  std::vector<std::string_view> raws;
  for (const platform::PimItem& item : *items) {
    HOLDFAST_FUZZ_CHECK(fuzz::IsValidUtf8(item.summary), "summary is not valid UTF-8");
    raws.push_back(item.raw);
    if (items->size() == 1) {
      HOLDFAST_FUZZ_CHECK(item.raw == bytes, "a single item's raw is not the whole file");
      continue;
    }
    Result<std::vector<platform::PimItem>> again = platform::ReadIcalendarFile(item.raw, "item.ics");
    HOLDFAST_FUZZ_CHECK(again && again->size() == 1, "a split item does not read back as one item");
    HOLDFAST_FUZZ_CHECK((*again)[0].uid == item.uid, "a split item's uid changes when read back");
  }
  // Items of different VCALENDARs may share a uid; merged into one calendar
  // they become one item, so the count is compared only when uids differ.
  std::set<std::string> uids;
  for (const platform::PimItem& item : *items) {
    if (!item.uid.empty() && !uids.insert(item.uid).second) return 0;
  }
  if (raws.empty()) return 0;
  Result<std::string> merged = platform::MergeCalendars(raws, "merged.ics", /*first_header=*/true);
  HOLDFAST_FUZZ_CHECK(static_cast<bool>(merged), "items the reader made do not merge");
  Result<std::vector<platform::PimItem>> back = platform::ReadIcalendarFile(*merged, "merged.ics");
  HOLDFAST_FUZZ_CHECK(back && back->size() == items->size(), "merged items do not read back as the same count");
  Result<std::string> added = platform::AddToCalendar(raws.front(), raws, "added.ics");
  (void)added;
  return 0;
}
