#include "tools/handset_gen/calendar_gen.h"

#include <string_view>
#include <utility>

#include "tools/handset_gen/locale_data.h"
#include "tools/handset_gen/text_format.h"

namespace holdfast::handset_gen {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kYear = 365 * kDay;

struct Zone {
  std::string_view tzid;
  std::string_view vtimezone;  // the whole BEGIN:VTIMEZONE ... END:VTIMEZONE block
};

// Rules as the zones have had them since 2007 (tzdata), written the way
// calendar clients emit them: one STANDARD and one DAYLIGHT with RRULEs.
constexpr Zone kZones[] = {
    {"Europe/Berlin",
     "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nX-LIC-LOCATION:Europe/Berlin\r\n"
     "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
     "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
     "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
     "END:VTIMEZONE\r\n"},
    {"Europe/London",
     "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nX-LIC-LOCATION:Europe/London\r\n"
     "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\n"
     "DTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\n"
     "DTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
     "END:VTIMEZONE\r\n"},
    {"Europe/Moscow",
     "BEGIN:VTIMEZONE\r\nTZID:Europe/Moscow\r\nX-LIC-LOCATION:Europe/Moscow\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:MSK\r\n"
     "DTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"},
    {"America/New_York",
     "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nX-LIC-LOCATION:America/New_York\r\n"
     "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\n"
     "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\n"
     "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
     "END:VTIMEZONE\r\n"},
    {"America/Los_Angeles",
     "BEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\nX-LIC-LOCATION:America/Los_Angeles\r\n"
     "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\nTZNAME:PDT\r\n"
     "DTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\nTZNAME:PST\r\n"
     "DTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
     "END:VTIMEZONE\r\n"},
    {"Australia/Sydney",
     "BEGIN:VTIMEZONE\r\nTZID:Australia/Sydney\r\nX-LIC-LOCATION:Australia/Sydney\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nTZNAME:AEST\r\n"
     "DTSTART:19700405T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\nEND:STANDARD\r\n"
     "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\nTZNAME:AEDT\r\n"
     "DTSTART:19701004T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\nEND:DAYLIGHT\r\n"
     "END:VTIMEZONE\r\n"},
    {"Asia/Tokyo",
     "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nX-LIC-LOCATION:Asia/Tokyo\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\n"
     "DTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"},
    {"Asia/Kolkata",
     "BEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\nX-LIC-LOCATION:Asia/Kolkata\r\n"
     "BEGIN:STANDARD\r\nTZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nTZNAME:IST\r\n"
     "DTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"},
};
constexpr int kZoneWeights[] = {20, 10, 6, 20, 12, 8, 8, 6};
static_assert(sizeof(kZoneWeights) / sizeof(int) == sizeof(kZones) / sizeof(Zone));

constexpr std::string_view kProdIds[] = {
    "-//Google Inc//Google Calendar 70.9054//EN",
    "-//Apple Inc.//iOS 17.4.1//EN",
    "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
    "-//Nextcloud calendar v4.6.5",
    "-//Sabre//Sabre VObject 4.5.4//EN",
    "-//Samsung Electronics//Samsung Calendar Sync Adapter for Exchange and CalDAV "
    "(build 12.5.03.3)//EN",
};
constexpr std::string_view kTaskProdId = "-//dmfs.org//mimedir.icalendar//EN";
constexpr std::string_view kDayCodes[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

enum class TimeKind { kZoned, kUtc, kFloating, kAllDay };

// "NAME;TZID=Europe/Berlin:20230412T101500", "NAME:20230412T081500Z",
// "NAME:20230412T101500" or "NAME;VALUE=DATE:20230412".
std::string DateProp(std::string_view name, TimeKind kind, const Zone* zone, const DateTime& dt) {
  std::string out(name);
  switch (kind) {
    case TimeKind::kZoned:
      return out + ";TZID=" + std::string(zone->tzid) + ":" + FormatBasic(dt);
    case TimeKind::kUtc:
      return out + ":" + FormatBasic(dt) + "Z";
    case TimeKind::kFloating:
      return out + ":" + FormatBasic(dt);
    case TimeKind::kAllDay:
      return out + ";VALUE=DATE:" + FormatDateBasic(dt);
  }
  return out;
}

// RRULE's UNTIL must match DTSTART's kind: a date for all-day, local time
// for floating, UTC otherwise (RFC 5545 3.3.10).
std::string Until(TimeKind kind, const DateTime& day) {
  switch (kind) {
    case TimeKind::kAllDay:
      return FormatDateBasic(day);
    case TimeKind::kFloating:
      return FormatDateBasic(day) + "T235959";
    default:
      return FormatDateBasic(day) + "T235959Z";
  }
}

DateTime AddSeconds(const DateTime& dt, int64_t seconds) {
  return FromEpochSeconds(ToEpochSeconds(dt) + seconds);
}

std::string AsciiHandle(Rng& rng) {
  std::string s;
  const int n = rng.Int(2, 3);
  for (int i = 0; i < n; ++i) s += rng.Pick(EmailSyllables());
  return s + "@" + std::string(rng.Pick(EmailDomains()));
}

std::string PersonName(Rng& rng) {
  const LocaleData& loc = PickLocale(rng);
  const std::string given(rng.Pick(loc.given_names));
  const std::string family(rng.Pick(loc.family_names));
  if (loc.family_first) return loc.no_space_in_name ? family + given : family + " " + given;
  return given + " " + family;
}

std::string Location(Rng& rng) {
  switch (rng.Weighted({70, 15, 15})) {
    case 0: {
      const LocaleData& loc = PickLocale(rng);
      const PostalAddress& a = rng.Pick(loc.addresses);
      std::string street;
      for (char c : a.street) {
        if (c == '#') {
          street += std::to_string(rng.Int(1, 200));
        } else {
          street += c;
        }
      }
      return street + ", " + std::string(a.postcode) + " " + std::string(a.city);
    }
    case 1: {
      // One draw per statement (rng.h), in the order the trees have always had.
      const int room = rng.Int(1, 40);
      const int floor = rng.Int(1, 9);
      return "Room " + std::to_string(floor) + "." + Padded(room, 2);
    }
    default: {
      const std::string third = rng.Hex(3);
      const std::string second = rng.Hex(4);
      const std::string first = rng.Hex(3);
      return "https://meet.example.com/" + first + "-" + second + "-" + third;
    }
  }
}

void AppendAlarm(Rng& rng, std::string& out, bool all_day, std::string_view summary) {
  static constexpr std::string_view kTimed[] = {"-PT5M",  "-PT10M", "-PT15M", "-PT15M",
                                                "-PT30M", "-PT1H",  "-P1D"};
  static constexpr std::string_view kAllDay[] = {"-PT15H", "PT9H", "-P1D", "-P2D"};
  out += "BEGIN:VALARM\r\n";
  const bool audio = rng.Percent(15);
  out += audio ? "ACTION:AUDIO\r\n" : "ACTION:DISPLAY\r\n";
  if (!audio) AppendFolded(out, "DESCRIPTION:" + EscapeText(summary));
  AppendFolded(out, "TRIGGER:" + std::string(all_day ? rng.Pick(kAllDay) : rng.Pick(kTimed)));
  if (rng.Percent(40)) AppendFolded(out, "X-WR-ALARMUID:" + rng.Uuid());
  out += "END:VALARM\r\n";
}

std::string CalendarHeader(std::string_view prodid) {
  std::string out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n";
  AppendFolded(out, "PRODID:" + std::string(prodid));
  out += "CALSCALE:GREGORIAN\r\n";
  return out;
}

// CREATED, LAST-MODIFIED and DTSTAMP, all UTC and before `now_epoch`.
void AppendStamps(Rng& rng, std::string& out, int64_t now_epoch) {
  const int64_t created = now_epoch - rng.Range(kDay, 8 * kYear);
  const int64_t modified = created + rng.Range(0, now_epoch - created);
  const std::string mod = FormatBasic(FromEpochSeconds(modified)) + "Z";
  out += "DTSTAMP:" + mod + "\r\n";
  out += "CREATED:" + FormatBasic(FromEpochSeconds(created)) + "Z\r\n";
  out += "LAST-MODIFIED:" + mod + "\r\n";
}

}  // namespace

struct CalendarGenerator::EventParts {
  const Zone* zone = nullptr;  // the VTIMEZONE the event needs, if any
  std::string uid;
  std::string vevent;  // BEGIN:VEVENT ... END:VEVENT
};

CalendarGenerator::CalendarGenerator(uint64_t seed, int64_t now_epoch)
    : rng_(seed), now_epoch_(now_epoch) {}

std::string CalendarGenerator::NewUid() {
  for (;;) {
    std::string uid;
    switch (rng_.Weighted({70, 10, 10, 10})) {
      case 0:
        uid = rng_.Uuid();
        break;
      case 1: {
        uid = rng_.Uuid();
        for (char& c : uid) {
          if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
        }
        break;
      }
      case 2: {
        // Exchange's global object id, hex-encoded.
        uid = "040000008200E00074C5B7101A82E00800000000" + rng_.Hex(32);
        for (char& c : uid) {
          if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
        }
        break;
      }
      default:
        uid = rng_.Hex(26) + "@example.com";
        break;
    }
    if (used_uids_.insert(uid).second) return uid;
  }
}

CalendarGenerator::EventParts CalendarGenerator::MakeEvent() {
  EventParts parts;
  parts.uid = NewUid();
  const LocaleData& loc = PickLocale(rng_);
  const auto kind = static_cast<TimeKind>(rng_.Weighted({65, 12, 5, 18}));
  if (kind == TimeKind::kZoned) parts.zone = &kZones[rng_.Weighted(kZoneWeights)];

  const int64_t now_days = now_epoch_ / kDay;
  DateTime start = CivilFromDays(rng_.Range(now_days - 8 * 365, now_days + 365));
  DateTime end;
  if (kind == TimeKind::kAllDay) {
    end = CivilFromDays(DaysFromCivil(start.year, start.month, start.day) +
                        (rng_.Percent(90) ? 1 : rng_.Int(2, 7)));
  } else {
    static constexpr int kMinutes[] = {15, 30, 45, 60, 60, 60, 90, 120, 180, 480};
    start.hour = rng_.Int(7, 20);
    start.minute = 15 * rng_.Int(0, 3);
    int64_t minutes = rng_.Pick(kMinutes);
    if (rng_.Percent(2)) minutes += 1440 * rng_.Int(1, 3);
    end = AddSeconds(start, minutes * 60);
  }
  const std::string summary(rng_.Pick(loc.event_titles));

  std::string& out = parts.vevent;
  out += "BEGIN:VEVENT\r\n";
  AppendFolded(out, "UID:" + parts.uid);
  AppendStamps(rng_, out, now_epoch_);
  if (rng_.Percent(30)) out += "SEQUENCE:" + std::to_string(rng_.Int(1, 4)) + "\r\n";
  AppendFolded(out, "SUMMARY:" + EscapeText(summary));
  AppendFolded(out, DateProp("DTSTART", kind, parts.zone, start));
  if (kind != TimeKind::kAllDay && rng_.Percent(5)) {
    const int64_t minutes = (ToEpochSeconds(end) - ToEpochSeconds(start)) / 60;
    out += minutes % 60 == 0 ? "DURATION:PT" + std::to_string(minutes / 60) + "H\r\n"
                             : "DURATION:PT" + std::to_string(minutes) + "M\r\n";
  } else {
    AppendFolded(out, DateProp("DTEND", kind, parts.zone, end));
  }
  if (rng_.Percent(20)) {
    const std::string day(kDayCodes[Weekday(start)]);
    const DateTime until =
        CivilFromDays(DaysFromCivil(start.year, start.month, start.day) + rng_.Range(30, 3 * 365));
    std::string rule;
    bool weekly = false;
    if (kind == TimeKind::kAllDay && rng_.Percent(50)) {
      rule = rng_.Percent(50) ? "FREQ=YEARLY"
                              : "FREQ=YEARLY;BYMONTH=" + std::to_string(start.month) +
                                    ";BYMONTHDAY=" + std::to_string(start.day);
    } else {
      switch (rng_.Below(6)) {
        case 0:
          rule = "FREQ=WEEKLY;BYDAY=" + day;
          weekly = true;
          break;
        case 1:
          rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + day;
          break;
        case 2:
          rule = "FREQ=DAILY;COUNT=" + std::to_string(rng_.Int(3, 30));
          break;
        case 3:
          rule = "FREQ=MONTHLY;BYMONTHDAY=" + std::to_string(start.day) +
                 ";UNTIL=" + Until(kind, until);
          break;
        case 4:
          rule = "FREQ=MONTHLY;BYDAY=" + std::to_string((start.day - 1) / 7 + 1) + day;
          break;
        default:
          rule = "FREQ=WEEKLY;WKST=MO;BYDAY=MO,TU,WE,TH,FR;UNTIL=" + Until(kind, until);
          weekly = true;
          break;
      }
    }
    AppendFolded(out, "RRULE:" + rule);
    if (weekly && rng_.Percent(40)) {
      AppendFolded(out, DateProp("EXDATE", kind, parts.zone, AddSeconds(start, 7 * kDay)));
    }
  }
  if (rng_.Percent(55)) AppendFolded(out, "LOCATION:" + EscapeText(Location(rng_)));
  if (rng_.Percent(45)) {
    std::string text = Prose(rng_, loc, rng_.Int(1, 6), 3);
    if (rng_.Percent(20)) text += "\n\nhttps://meet.example.com/" + rng_.Hex(10);
    AppendFolded(out, "DESCRIPTION:" + EscapeText(text));
  }
  const size_t status = rng_.Weighted({85, 10, 5});
  out += status == 0 ? "STATUS:CONFIRMED\r\n"
                     : (status == 1 ? "STATUS:TENTATIVE\r\n" : "STATUS:CANCELLED\r\n");
  out += kind == TimeKind::kAllDay ? "TRANSP:TRANSPARENT\r\n" : "TRANSP:OPAQUE\r\n";
  if (rng_.Percent(10)) out += "CLASS:PRIVATE\r\n";
  if (rng_.Percent(10)) AppendFolded(out, "CATEGORIES:" + EscapeText(rng_.Pick(Categories())));
  if (rng_.Percent(12)) {
    const std::string organizer_handle = AsciiHandle(rng_);
    const std::string organizer_name = PersonName(rng_);
    AppendFolded(out, "ORGANIZER;CN=\"" + organizer_name + "\":mailto:" + organizer_handle);
    static constexpr std::string_view kPartStat[] = {"ACCEPTED", "ACCEPTED", "TENTATIVE",
                                                     "DECLINED", "NEEDS-ACTION"};
    const int attendees = rng_.Int(1, 4);
    for (int i = 0; i < attendees; ++i) {
      const std::string handle = AsciiHandle(rng_);
      const std::string_view part_stat = rng_.Pick(kPartStat);
      const std::string name = PersonName(rng_);
      AppendFolded(out, "ATTENDEE;CN=\"" + name + "\";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=" +
                            std::string(part_stat) + ";RSVP=TRUE:mailto:" + handle);
    }
  }
  if (rng_.Percent(30)) {
    AppendAlarm(rng_, out, kind == TimeKind::kAllDay, summary);
    if (rng_.Percent(15)) AppendAlarm(rng_, out, kind == TimeKind::kAllDay, summary);
  }
  out += "END:VEVENT\r\n";
  return parts;
}

IcsFile CalendarGenerator::NextEvent() {
  IcsFile file;
  file.work = rng_.Percent(35);
  const std::string_view prodid = rng_.Pick(kProdIds);
  EventParts parts = MakeEvent();
  file.file_name = parts.uid + ".ics";
  file.bytes = CalendarHeader(prodid);
  if (parts.zone != nullptr) file.bytes += parts.zone->vtimezone;
  file.bytes += parts.vevent;
  file.bytes += "END:VCALENDAR\r\n";
  return file;
}

std::string CalendarGenerator::EventExport(int count) {
  std::string events;
  bool zone_used[sizeof(kZones) / sizeof(Zone)] = {};
  for (int i = 0; i < count; ++i) {
    EventParts parts = MakeEvent();
    if (parts.zone != nullptr) zone_used[parts.zone - kZones] = true;
    events += parts.vevent;
  }
  std::string out = CalendarHeader(kProdIds[0]);
  out += "METHOD:PUBLISH\r\nX-WR-CALNAME:Home\r\nX-WR-TIMEZONE:Europe/Berlin\r\n";
  for (size_t z = 0; z < sizeof(kZones) / sizeof(Zone); ++z) {
    if (zone_used[z]) out += kZones[z].vtimezone;
  }
  out += events;
  out += "END:VCALENDAR\r\n";
  return out;
}

IcsFile CalendarGenerator::NextTask() {
  IcsFile file;
  const std::string uid = NewUid();
  file.file_name = uid + ".ics";
  const LocaleData& loc = PickLocale(rng_);
  const int64_t now_days = now_epoch_ / kDay;

  std::string todo = "BEGIN:VTODO\r\n";
  AppendFolded(todo, "UID:" + uid);
  AppendStamps(rng_, todo, now_epoch_);
  AppendFolded(todo, "SUMMARY:" + EscapeText(rng_.Pick(loc.task_titles)));
  if (rng_.Percent(30))
    AppendFolded(todo, "DESCRIPTION:" + EscapeText(Prose(rng_, loc, rng_.Int(1, 4))));
  const Zone* zone = nullptr;
  const bool has_due = rng_.Percent(80);
  if (has_due) {
    DateTime due = CivilFromDays(rng_.Range(now_days - 3 * 365, now_days + 180));
    switch (rng_.Weighted({40, 35, 25})) {
      case 0:
        AppendFolded(todo, DateProp("DUE", TimeKind::kAllDay, nullptr, due));
        break;
      case 1:
        zone = &kZones[rng_.Weighted(kZoneWeights)];
        due.hour = rng_.Int(8, 18);
        AppendFolded(todo, DateProp("DUE", TimeKind::kZoned, zone, due));
        break;
      default:
        due.hour = rng_.Int(0, 23);
        due.minute = 30 * rng_.Int(0, 1);
        AppendFolded(todo, DateProp("DUE", TimeKind::kUtc, nullptr, due));
        break;
    }
  }
  static constexpr int kPriorities[] = {0, 0, 1, 1, 5, 5, 5, 9, 2, 3, 7};
  const int priority = rng_.Pick(kPriorities);
  if (priority != 0 || rng_.Percent(50)) todo += "PRIORITY:" + std::to_string(priority) + "\r\n";
  switch (rng_.Weighted({55, 10, 30, 5})) {
    case 0:
      todo += "STATUS:NEEDS-ACTION\r\n";
      break;
    case 1:
      todo +=
          "STATUS:IN-PROCESS\r\nPERCENT-COMPLETE:" + std::to_string(10 * rng_.Int(1, 9)) + "\r\n";
      break;
    case 2:
      todo += "STATUS:COMPLETED\r\nPERCENT-COMPLETE:100\r\nCOMPLETED:" +
              FormatBasic(FromEpochSeconds(now_epoch_ - rng_.Range(60, 3 * kYear))) + "Z\r\n";
      break;
    default:
      todo += "STATUS:CANCELLED\r\n";
      break;
  }
  if (rng_.Percent(20)) AppendFolded(todo, "CATEGORIES:" + EscapeText(rng_.Pick(Categories())));
  if (!task_uids_.empty() && rng_.Percent(10)) {
    AppendFolded(todo, "RELATED-TO;RELTYPE=PARENT:" + task_uids_[rng_.Below(task_uids_.size())]);
  }
  if (has_due && rng_.Percent(15)) {
    todo +=
        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\n"
        "TRIGGER;RELATED=END:-PT30M\r\nEND:VALARM\r\n";
  }
  todo += "END:VTODO\r\n";
  task_uids_.push_back(uid);

  file.bytes = CalendarHeader(rng_.Percent(50) ? kTaskProdId : rng_.Pick(kProdIds));
  if (zone != nullptr) file.bytes += zone->vtimezone;
  file.bytes += todo;
  file.bytes += "END:VCALENDAR\r\n";
  return file;
}

IcsFile CalendarGenerator::NextNote() {
  IcsFile file;
  const std::string uid = NewUid();
  file.file_name = uid + ".ics";
  const LocaleData& loc = PickLocale(rng_);
  const int64_t now_days = now_epoch_ / kDay;

  std::string text;
  if (rng_.PerMille(15)) {
    text = Prose(rng_, loc, rng_.Int(300, 600), 6);  // a few tens of KiB
  } else {
    text = Prose(rng_, loc, rng_.Int(5, 40), 4);
  }
  if (rng_.Percent(20)) {
    const LocaleData& other = PickLocale(rng_);
    text += "\n\n" + Prose(rng_, other, rng_.Int(2, 10), 3);
  }
  if (rng_.Percent(15)) {
    const std::string_view second = rng_.Pick(loc.task_titles);
    const std::string_view first = rng_.Pick(loc.task_titles);
    text += "\n\n- " + std::string(first) + "\n- " + std::string(second);
  }

  file.bytes = CalendarHeader(rng_.Pick(kProdIds));
  file.bytes += "BEGIN:VJOURNAL\r\n";
  AppendFolded(file.bytes, "UID:" + uid);
  AppendStamps(rng_, file.bytes, now_epoch_);
  AppendFolded(file.bytes, DateProp("DTSTART", TimeKind::kAllDay, nullptr,
                                    CivilFromDays(rng_.Range(now_days - 6 * 365, now_days))));
  AppendFolded(file.bytes, "SUMMARY:" + EscapeText(rng_.Pick(loc.event_titles)));
  AppendFolded(file.bytes, "DESCRIPTION:" + EscapeText(text));
  if (rng_.Percent(30))
    AppendFolded(file.bytes, "CATEGORIES:" + EscapeText(rng_.Pick(Categories())));
  file.bytes += rng_.Percent(70) ? "CLASS:PRIVATE\r\n" : "CLASS:PUBLIC\r\n";
  file.bytes += rng_.Percent(80) ? "STATUS:FINAL\r\n" : "STATUS:DRAFT\r\n";
  file.bytes += "END:VJOURNAL\r\nEND:VCALENDAR\r\n";
  return file;
}

}  // namespace holdfast::handset_gen
