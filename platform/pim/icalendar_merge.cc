#include "platform/pim/icalendar_merge.h"

#include <functional>
#include <set>

#include "platform/pim/content_line.h"

namespace holdfast::platform {
namespace {

constexpr std::string_view kMergedHeader =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast//Holdfast export//EN\r\n";
constexpr std::string_view kMergedTrailer = "END:VCALENDAR\r\n";

// A block that is the last thing in its file may lack a line ending.
void AppendBlock(std::string* out, std::string_view block) {
  out->append(block);
  if (!block.empty() && block.back() != '\n' && block.back() != '\r') out->append("\r\n");
}

// Appends each input's time zones (once per TZID in `tzids`) to `zones` and
// its other components to `components`.
Status SortBlocks(const std::vector<std::string_view>& calendars, std::string_view path,
                  std::set<std::string_view>* tzids, std::string* zones, std::string* components,
                  const std::function<void(const CalendarParts&)>& each = nullptr);

}  // namespace

Result<CalendarParts> SplitCalendar(std::string_view bytes, std::string_view path) {
  CalendarParts parts;
  ContentLineReader reader(bytes, path, /*qp_soft_breaks=*/false);
  BlockStack stack;
  ContentLine line;
  size_t block_begin = 0;
  bool seen_calendar = false;
  bool header_done = false;
  CalendarParts::Block block;
  while (reader.Next(&line)) {
    ContentLineParts fields;
    if (IsBlankLine(line.text) || !SplitContentLine(line.text, &fields)) continue;
    const bool is_begin = EqualsIgnoreCase(fields.name, "BEGIN");
    const bool is_end = EqualsIgnoreCase(fields.name, "END");
    // Spaces around a component name are dropped, as the reader does: a file
    // it accepted must merge.
    const std::string_view component = TrimWhitespace(fields.value);
    if (is_begin) {
      if (stack.empty() && !EqualsIgnoreCase(component, "VCALENDAR")) {
        return MalformedInput(path, line.line_number, "expected BEGIN:VCALENDAR");
      }
      if (stack.depth() == 1) {
        if (!header_done) {
          parts.header = bytes.substr(0, line.begin_offset);
          header_done = true;
        }
        block_begin = line.begin_offset;
        block = CalendarParts::Block{std::string(component), {}, {}};
      }
      if (stack.empty()) seen_calendar = true;
      HF_RETURN_IF_ERROR(stack.Begin(component, line.line_number, path));
    } else if (is_end) {
      HF_RETURN_IF_ERROR(stack.End(component, line.line_number, path));
      if (stack.depth() == 1) {
        block.bytes = bytes.substr(block_begin, line.end_offset - block_begin);
        parts.blocks.push_back(block);
      } else if (stack.empty()) {
        if (!header_done) parts.header = bytes.substr(0, line.begin_offset);
        parts.trailer = bytes.substr(line.begin_offset);
        return parts;
      }
    } else if (stack.depth() == 2 && EqualsIgnoreCase(fields.name, "TZID") &&
               EqualsIgnoreCase(block.name, "VTIMEZONE") && line.text.data() >= bytes.data() &&
               line.text.data() < bytes.data() + bytes.size()) {
      // Unfolded lines point into `bytes`; a folded TZID (rare) is left
      // unnamed and its zone is then kept as a distinct one.
      block.tzid = fields.value;
    }
  }
  HF_RETURN_IF_ERROR(reader.status());
  if (!seen_calendar) return MalformedInput(path, 1, "no BEGIN:VCALENDAR");
  HF_RETURN_IF_ERROR(stack.CheckAllClosed(path));
  return MalformedInput(path, reader.lines_read(), "no END:VCALENDAR");
}

Result<std::string> MergeCalendars(const std::vector<std::string_view>& calendars,
                                   std::string_view path, bool first_header) {
  std::string header(kMergedHeader);
  std::string trailer(kMergedTrailer);
  std::string zones;
  std::string components;
  std::set<std::string_view> tzids;
  bool first = true;
  HF_RETURN_IF_ERROR(SortBlocks(calendars, path, &tzids, &zones, &components, [&](const CalendarParts& parts) {
    if (first_header && first) {
      header = parts.header;
      trailer = parts.trailer;
    }
    first = false;
  }));
  std::string out(header);
  out.append(zones).append(components).append(trailer);
  return out;
}

Result<std::string> AddToCalendar(std::string_view existing,
                                  const std::vector<std::string_view>& additions,
                                  std::string_view path) {
  Result<CalendarParts> base = SplitCalendar(existing, path);
  if (!base) return base.error();
  std::set<std::string_view> tzids;
  for (const CalendarParts::Block& block : base->blocks) {
    if (!block.tzid.empty()) tzids.insert(block.tzid);
  }
  std::string zones;
  std::string components;
  HF_RETURN_IF_ERROR(SortBlocks(additions, path, &tzids, &zones, &components));
  // header | new zones | the existing blocks | new components | trailer
  const size_t blocks_begin = base->header.size();
  const size_t blocks_end = existing.size() - base->trailer.size();
  std::string out(base->header);
  out.append(zones);
  std::string_view middle = existing.substr(blocks_begin, blocks_end - blocks_begin);
  out.append(middle);
  if (!middle.empty() && middle.back() != '\n' && middle.back() != '\r') out.append("\r\n");
  out.append(components).append(base->trailer);
  return out;
}

namespace {

Status SortBlocks(const std::vector<std::string_view>& calendars, std::string_view path,
                  std::set<std::string_view>* tzids, std::string* zones, std::string* components,
                  const std::function<void(const CalendarParts&)>& each) {
  for (std::string_view calendar : calendars) {
    Result<CalendarParts> parts = SplitCalendar(calendar, path);
    if (!parts) return parts.error();
    if (each) each(*parts);
    for (const CalendarParts::Block& block : parts->blocks) {
      if (EqualsIgnoreCase(block.name, "VTIMEZONE")) {
        if (!block.tzid.empty() && !tzids->insert(block.tzid).second) continue;
        AppendBlock(zones, block.bytes);
      } else {
        AppendBlock(components, block.bytes);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

}  // namespace holdfast::platform
