// Deterministic, realistic PIM items for holdfast-eds-tool's populate: the
// same seed and index give the same item, byte for byte, with a stable UID
// ("eds-contact-000123", "eds-event-000007", ...).
//
// Thread-safety: reentrant. Durability: none (text in memory).
#pragma once

#include <cstdint>
#include <string>

namespace holdfast::eds_tool {

// A vCard 3.0 with UID, FN, N, TEL, EMAIL, ADR and NOTE; some names are not
// ASCII. No PHOTO (the caller adds one).
std::string ContactVcard(uint64_t seed, int index);

// The parts of an event: `vevent` is one VEVENT (no VCALENDAR around it).
// Every 4th event from index 1 is all-day, every 5th recurs weekly, every
// 10th recurs and has one overridden instance (`override_vevent`, same UID
// with RECURRENCE-ID); every 3rd has a VALARM (with a fixed X-EVOLUTION-ALARM-UID); every 7th uses `tzid`
// (the caller adds that VTIMEZONE to the calendar).
struct EventParts {
  std::string vevent;
  std::string override_vevent;  // empty when none
  bool uses_tzid = false;
};
EventParts MakeEvent(uint64_t seed, int index, const std::string& tzid);

// Every calendar item carries DTSTAMP and CREATED (EDS would set them to the
// time of creation otherwise, and the items would differ between runs).
//
// A VTODO with DUE, STATUS and PRIORITY.
std::string TaskVtodo(uint64_t seed, int index);

// A VJOURNAL with a date, summary and a multi-line description.
std::string MemoVjournal(uint64_t seed, int index);

// "eds-contact-000123".
std::string ItemUid(const char* prefix, int index);

}  // namespace holdfast::eds_tool
