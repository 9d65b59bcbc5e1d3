#include "platform/pim/icalendar_reader.h"

#include <exception>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

namespace holdfast::platform {
namespace {

struct Range {
  size_t begin;
  size_t end;
  size_t size() const { return end - begin; }
};

enum class ChildType { kItem, kTimezone, kOther };

// A VEVENT, VTODO or VJOURNAL directly inside a VCALENDAR.
struct Component {
  PimKind kind = PimKind::kEvent;
  Range bytes{0, 0};
  int line = 0;
  bool has_uid = false;
  bool has_summary = false;
  bool has_last_modified = false;
  bool is_override = false;  // has RECURRENCE-ID
  std::string uid;
  std::string summary;
  std::string last_modified;
};

struct Calendar {
  Range prefix{0, std::string_view::npos};  // start through the first component
  Range end_line{0, 0};
  std::vector<Range> timezones;
  std::vector<Component> components;
};

// The components of one item: indexes into Calendar::components.
struct Group {
  const Calendar* calendar;
  std::vector<size_t> members;
};

ChildType ClassifyChild(std::string_view name, PimKind* kind) {
  if (EqualsIgnoreCase(name, "VEVENT")) {
    *kind = PimKind::kEvent;
  } else if (EqualsIgnoreCase(name, "VTODO")) {
    *kind = PimKind::kTask;
  } else if (EqualsIgnoreCase(name, "VJOURNAL")) {
    *kind = PimKind::kNote;
  } else if (EqualsIgnoreCase(name, "VTIMEZONE")) {
    return ChildType::kTimezone;
  } else {
    return ChildType::kOther;
  }
  return ChildType::kItem;
}

void NoteComponentProperty(const ContentLineParts& parts, Component* component) {
  std::string_view name = parts.name;
  if (!component->has_uid && EqualsIgnoreCase(name, "UID")) {
    component->has_uid = true;
    component->uid = UnescapeText(DecodeValue(parts));
  } else if (!component->has_summary && EqualsIgnoreCase(name, "SUMMARY")) {
    component->has_summary = true;
    component->summary = UnescapeText(DecodeValue(parts));
  } else if (!component->has_last_modified && EqualsIgnoreCase(name, "LAST-MODIFIED")) {
    component->has_last_modified = true;
    component->last_modified = std::string(parts.value);
  } else if (EqualsIgnoreCase(name, "RECURRENCE-ID")) {
    component->is_override = true;
  }
}

// Groups the components of each calendar by UID, in order of first sight.
std::vector<Group> GroupByUid(const std::vector<Calendar>& calendars) {
  std::vector<Group> groups;
  for (const Calendar& calendar : calendars) {
    std::unordered_map<std::string_view, size_t> group_of_uid;
    for (size_t i = 0; i < calendar.components.size(); ++i) {
      const Component& component = calendar.components[i];
      if (!component.uid.empty()) {
        auto [it, inserted] = group_of_uid.try_emplace(component.uid, groups.size());
        if (!inserted) {
          groups[it->second].members.push_back(i);
          continue;
        }
      }
      groups.push_back(Group{&calendar, {i}});
    }
  }
  return groups;
}

PimItem MakeItem(const Group& group) {
  const std::vector<Component>& components = group.calendar->components;
  const Component& first = components[group.members.front()];
  PimItem item;
  item.kind = first.kind;
  item.uid = first.uid;
  item.first_line = first.line;
  const Component* master = nullptr;
  for (size_t index : group.members) {
    const Component& c = components[index];
    if (!c.is_override && c.has_summary) {
      master = &c;
      break;
    }
  }
  for (size_t index : group.members) {
    const Component& c = components[index];
    if (master == nullptr && c.has_summary) master = &c;
    if (c.last_modified > item.revision) item.revision = c.last_modified;
  }
  if (master != nullptr) item.summary = master->summary;
  return item;
}

size_t SplitItemSize(const Group& group) {
  const Calendar& calendar = *group.calendar;
  size_t size = calendar.prefix.size() + calendar.end_line.size();
  for (const Range& tz : calendar.timezones) size += tz.size();
  for (size_t index : group.members) size += calendar.components[index].bytes.size();
  return size;
}

std::string SplitItemRaw(std::string_view bytes, const Group& group) {
  const Calendar& calendar = *group.calendar;
  std::string raw;
  raw.reserve(SplitItemSize(group));
  auto append = [&](const Range& range) { raw.append(bytes.substr(range.begin, range.size())); };
  append(calendar.prefix);
  for (const Range& tz : calendar.timezones) append(tz);
  for (size_t index : group.members) append(calendar.components[index].bytes);
  append(calendar.end_line);
  return raw;
}

Result<std::vector<PimItem>> ReadCalendars(std::string_view bytes, std::string_view path) {
  HF_RETURN_IF_ERROR(CheckTextBytes(bytes, path));
  ContentLineReader reader(bytes, path, /*qp_soft_breaks=*/true);
  BlockStack open;
  std::vector<Calendar> calendars;
  Calendar calendar;
  Component component;
  ChildType child = ChildType::kOther;
  ContentLine line;
  ContentLineParts parts;
  while (reader.Next(&line)) {
    std::string_view text = line.text;
    if (open.empty()) {
      text.remove_prefix(Utf8BomLength(text));  // files joined with `cat`
      if (IsBlankLine(text)) continue;
      if (SplitContentLine(text, &parts) && EqualsIgnoreCase(parts.name, "BEGIN") &&
          EqualsIgnoreCase(TrimWhitespace(parts.value), "VCALENDAR")) {
        calendar = Calendar();
        calendar.prefix.begin = calendars.empty() ? 0 : line.begin_offset;
        HF_RETURN_IF_ERROR(open.Begin("VCALENDAR", line.line_number, path));
        continue;
      }
      if (calendars.empty()) {
        return MalformedInput(
            path, line.line_number,
            "not an iCalendar file: expected BEGIN:VCALENDAR, found " + QuoteForMessage(text));
      }
      return MalformedInput(
          path, line.line_number,
          "text outside BEGIN:VCALENDAR ... END:VCALENDAR: " + QuoteForMessage(text));
    }
    if (!IsValidUtf8(text)) {
      return MalformedInput(
          path, line.line_number,
          "text is not valid UTF-8, which iCalendar must be: " + QuoteForMessage(text));
    }
    if (IsBlankLine(text)) continue;
    if (!SplitContentLine(text, &parts)) {
      return MalformedInput(
          path, line.line_number,
          "content line has no property name and ':' before its value: " + QuoteForMessage(text));
    }
    if (EqualsIgnoreCase(parts.name, "BEGIN")) {
      std::string_view what = TrimWhitespace(parts.value);
      const bool component_starts = open.depth() == 1;  // a component of the VCALENDAR
      HF_RETURN_IF_ERROR(open.Begin(what, line.line_number, path));
      if (component_starts) {
        if (calendar.prefix.end == std::string_view::npos) calendar.prefix.end = line.begin_offset;
        component = Component();
        component.bytes.begin = line.begin_offset;
        component.line = line.line_number;
        child = ClassifyChild(what, &component.kind);
      }
      continue;
    }
    if (EqualsIgnoreCase(parts.name, "END")) {
      HF_RETURN_IF_ERROR(open.End(TrimWhitespace(parts.value), line.line_number, path));
      if (open.depth() == 1) {  // a component of the VCALENDAR ends
        component.bytes.end = line.end_offset;
        if (child == ChildType::kTimezone) calendar.timezones.push_back(component.bytes);
        if (child == ChildType::kItem) calendar.components.push_back(std::move(component));
      } else if (open.empty()) {
        calendar.end_line = Range{line.begin_offset, line.end_offset};
        if (calendar.prefix.end == std::string_view::npos) {
          calendar.prefix.end = line.begin_offset;
        }
        calendars.push_back(std::move(calendar));
      }
      continue;
    }
    if (open.depth() == 2 && child == ChildType::kItem) NoteComponentProperty(parts, &component);
  }
  if (!reader.status().ok()) return reader.status();
  HF_RETURN_IF_ERROR(open.CheckAllClosed(path));
  if (calendars.empty()) {
    return MalformedInput(path, 1, "no calendar in the file (no BEGIN:VCALENDAR line)");
  }

  std::vector<Group> groups = GroupByUid(calendars);
  std::vector<PimItem> items;
  items.reserve(groups.size());
  for (const Group& group : groups) items.push_back(MakeItem(group));
  if (items.size() == 1) {
    items[0].raw = std::string(bytes);
    return items;
  }
  size_t total = 0;
  for (const Group& group : groups) total += SplitItemSize(group);
  if (total > kMaxSplitCalendarBytes) {
    return MalformedInput(path, 1,
                          "the calendar's " + std::to_string(groups.size()) +
                              " items, each with a copy of its time zones, would take " +
                              std::to_string(total >> 20) + " MiB, more than the " +
                              std::to_string(kMaxSplitCalendarBytes >> 20) +
                              " MiB limit; split the file into smaller calendars");
  }
  for (size_t i = 0; i < groups.size(); ++i) items[i].raw = SplitItemRaw(bytes, groups[i]);
  return items;
}

}  // namespace

Result<std::vector<PimItem>> ReadIcalendarFile(std::string_view bytes, std::string_view path) {
  return GuardedRead(path, [&] { return ReadCalendars(bytes, path); });
}

}  // namespace holdfast::platform
