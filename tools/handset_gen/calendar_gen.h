// Synthetic calendar events, tasks and journal notes, one iCalendar object
// (RFC 5545) per file, as a CalDAV-synced handset keeps them.
//
// Every file is one VCALENDAR (VERSION:2.0, PRODID, CRLF lines folded at 75
// octets) holding one component, preceded by the VTIMEZONE it refers to:
//   events  VEVENT with UID, DTSTAMP, CREATED, LAST-MODIFIED, SUMMARY, and
//           DTSTART/DTEND (or DURATION) as TZID local time (real zones with
//           STANDARD/DAYLIGHT rules: Europe/Berlin, Europe/London,
//           Europe/Moscow, America/New_York, America/Los_Angeles,
//           Australia/Sydney, Asia/Tokyo, Asia/Kolkata), UTC, floating or
//           all-day dates; often LOCATION and DESCRIPTION; RRULE on ~20%
//           (some with EXDATE), VALARM on ~30%, some ORGANIZER/ATTENDEE.
//   tasks   VTODO with DUE (date, TZID or UTC), PRIORITY, STATUS, COMPLETED and
//           PERCENT-COMPLETE when done, some RELATED-TO a parent task.
//   notes   VJOURNAL with a date, SUMMARY and a long multi-paragraph
//           DESCRIPTION (a few are tens of KiB).
// Texts are in many scripts and escaped (\, \; \n).
//
// Thread-safety: a CalendarGenerator is used by one thread. Durability: none.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "tools/handset_gen/rng.h"

namespace holdfast::handset_gen {

struct IcsFile {
  std::string file_name;  // "<uid>.ics"
  bool work = false;      // events only: calendars/work (~35%), else home
  std::string bytes;
};

class CalendarGenerator {
 public:
  // `now_epoch` is the handset's "current time": DTSTAMP, CREATED and
  // LAST-MODIFIED are before it; events span eight years before to one after.
  CalendarGenerator(uint64_t seed, int64_t now_epoch);

  // The next object of each kind; file names never repeat within one
  // generator. Never fails.
  IcsFile NextEvent();
  IcsFile NextTask();
  IcsFile NextNote();

  // One VCALENDAR holding `count` VEVENTs and the VTIMEZONEs they use, the
  // way a calendar app exports a whole calendar.
  std::string EventExport(int count);

 private:
  struct EventParts;
  std::string NewUid();
  EventParts MakeEvent();

  Rng rng_;
  int64_t now_epoch_;
  std::unordered_set<std::string> used_uids_;
  std::vector<std::string> task_uids_;
};

}  // namespace holdfast::handset_gen
