#include "tools/eds/eds_gen.h"

#include <cstdio>
#include <random>

namespace holdfast::eds_tool {
namespace {

const char* const kGiven[] = {"Anna",  "José",   "Zoë",    "Łukasz", "Søren", "Mia",    "Jürgen", "Chloé",
                              "Ahmed", "Yuki",   "Olivia", "Ивана",  "María", "Noah",   "Håkon",  "Émile",
                              "Liam",  "Ingrid", "Björn",  "Aiko",   "Πέτρος", "Sophie", "Dvořák", "Grace"};
const char* const kFamily[] = {"Müller",  "García",   "Smith", "Kowalski", "Nørgaard", "O'Brien", "Dubois",
                               "Rossi",   "Tanaka",   "Ivanova", "Öztürk", "Nguyễn",   "Brown",   "Fernández",
                               "Schmidt", "Johansson", "Lefèvre", "Wiśniewska", "Costa", "Papadopoulos"};
const char* const kStreets[] = {"Hauptstraße", "Rue de la Paix", "Calle Mayor", "High Street", "Ulica Długa",
                                "Storgatan",   "Via Roma",       "Elm Avenue"};
const char* const kCities[] = {"Berlin", "Paris", "Madrid", "London", "Kraków", "Göteborg", "Roma", "Springfield"};
const char* const kCountries[] = {"Germany", "France", "Spain", "United Kingdom", "Poland", "Sweden", "Italy", "USA"};
const char* const kTopics[] = {"Team sync",   "Dentist",      "Lunch with Zoë", "Quarterly review", "Yoga",
                               "Flight home", "Parents' day", "Café meetup",    "Project kickoff",  "Haircut"};
const char* const kTasks[] = {"Buy groceries", "Renew passport", "Call the bank", "Fix the bike",
                              "Send invoice",  "Book hotel",     "Water plants",  "Pay rent"};
const char* const kStatuses[] = {"NEEDS-ACTION", "IN-PROCESS", "COMPLETED"};

template <size_t N>
const char* Pick(std::mt19937_64& rng, const char* const (&list)[N]) {
  return list[rng() % N];
}

std::mt19937_64 ItemRng(uint64_t seed, uint64_t kind, int index) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(kind),
                    static_cast<uint32_t>(index)};
  return std::mt19937_64(seq);
}

// An ASCII e-mail local part from an index (names are not ASCII).
std::string Mailbox(int index) { return "person" + std::to_string(index); }

// "20240315T093000" for a day offset from 2024-01-01 and a time.
std::string LocalTime(int day, int hour, int minute) {
  int y = 2024, m = 1, d = 1 + day;
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  while (d > kDays[m - 1]) {
    d -= kDays[m - 1];
    if (++m > 12) {
      m = 1;
      ++y;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d00", y, m, d, hour, minute);
  return buf;
}

}  // namespace

std::string ItemUid(const char* prefix, int index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "eds-%s-%06d", prefix, index);
  return buf;
}

std::string ContactVcard(uint64_t seed, int index) {
  auto rng = ItemRng(seed, 1, index);
  const std::string given = Pick(rng, kGiven);
  const std::string family = Pick(rng, kFamily);
  const int street = static_cast<int>(rng() % 8);
  char phone[32];
  std::snprintf(phone, sizeof phone, "+%d %03d %07d", 30 + static_cast<int>(rng() % 20),
                static_cast<int>(rng() % 1000), static_cast<int>(rng() % 10000000));
  std::string v = "BEGIN:VCARD\r\nVERSION:3.0\r\n";
  v += "UID:" + ItemUid("contact", index) + "\r\n";
  v += "FN:" + given + " " + family + "\r\n";
  v += "N:" + family + ";" + given + ";;;\r\n";
  v += std::string("TEL;TYPE=CELL:") + phone + "\r\n";
  if (rng() % 3 == 0) v += "TEL;TYPE=WORK:+1 555 " + std::to_string(1000000 + rng() % 9000000) + "\r\n";
  v += "EMAIL;TYPE=HOME:" + Mailbox(index) + "@example.org\r\n";
  v += std::string("ADR;TYPE=HOME:;;") + std::to_string(1 + rng() % 200) + " " + kStreets[street] + ";" +
       kCities[street] + ";;" + std::to_string(10000 + rng() % 89999) + ";" + kCountries[street] + "\r\n";
  v += "NOTE:Met at " + std::string(Pick(rng, kCities)) + "\\, " + std::to_string(2000 + rng() % 24) +
       ". Prefers calls after 18:00.\r\n";
  v += "END:VCARD\r\n";
  return v;
}

EventParts MakeEvent(uint64_t seed, int index, const std::string& tzid) {
  auto rng = ItemRng(seed, 2, index);
  EventParts parts;
  const std::string uid = ItemUid("event", index);
  const int day = static_cast<int>(rng() % 365);
  const int hour = 7 + static_cast<int>(rng() % 12);
  const bool all_day = index % 4 == 1;
  const bool overridden = index % 10 == 0;
  const bool recurring = overridden || index % 5 == 0;
  parts.uses_tzid = !all_day && index % 7 == 0;
  const std::string summary = Pick(rng, kTopics);
  auto start_line = [&](const char* name, int d, int h, int min) {
    if (all_day) {
      return std::string(name) + ";VALUE=DATE:" + LocalTime(d, 0, 0).substr(0, 8) + "\r\n";
    }
    if (parts.uses_tzid) return std::string(name) + ";TZID=" + tzid + ":" + LocalTime(d, h, min) + "\r\n";
    return std::string(name) + ":" + LocalTime(d, h, min) + "Z\r\n";
  };
  std::string e = "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20240101T000000Z\r\nCREATED:20240101T000000Z\r\n";
  e += start_line("DTSTART", day, hour, 0);
  e += all_day ? start_line("DTEND", day + 1, 0, 0) : start_line("DTEND", day, hour + 1, 0);
  e += "SUMMARY:" + summary + "\r\n";
  if (rng() % 2 == 0) e += std::string("LOCATION:") + Pick(rng, kCities) + "\r\n";
  e += "DESCRIPTION:Agenda item " + std::to_string(index) + "\\nBring notes.\r\n";
  if (recurring) e += "RRULE:FREQ=WEEKLY;COUNT=" + std::to_string(4 + index % 6) + "\r\n";
  std::string alarm;
  if (index % 3 == 0) {
    alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:" + summary + "\r\nTRIGGER:-PT15M\r\n" +
            // EDS gives an alarm without one a random X-EVOLUTION-ALARM-UID.
            "X-EVOLUTION-ALARM-UID:" + ItemUid("alarm", index) + "\r\nEND:VALARM\r\n";
  }
  parts.vevent = e + alarm + "END:VEVENT\r\n";
  if (overridden) {
    // The second occurrence moved one hour later, renamed.
    std::string o = "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20240101T000000Z\r\nCREATED:20240101T000000Z\r\n";
    o += start_line("RECURRENCE-ID", day + 7, hour, 0);
    o += all_day ? start_line("DTSTART", day + 7, 0, 0) : start_line("DTSTART", day + 7, hour + 1, 0);
    o += all_day ? start_line("DTEND", day + 8, 0, 0) : start_line("DTEND", day + 7, hour + 2, 0);
    o += "SUMMARY:" + summary + " (moved)\r\nEND:VEVENT\r\n";
    parts.override_vevent = o;
  }
  return parts;
}

std::string TaskVtodo(uint64_t seed, int index) {
  auto rng = ItemRng(seed, 3, index);
  const char* status = Pick(rng, kStatuses);
  std::string t = "BEGIN:VTODO\r\nUID:" + ItemUid("task", index) + "\r\nDTSTAMP:20240101T000000Z\r\nCREATED:20240101T000000Z\r\n";
  t += std::string("SUMMARY:") + Pick(rng, kTasks) + "\r\n";
  t += "DUE;VALUE=DATE:" + LocalTime(static_cast<int>(rng() % 365), 0, 0).substr(0, 8) + "\r\n";
  t += std::string("STATUS:") + status + "\r\n";
  t += "PRIORITY:" + std::to_string(1 + rng() % 9) + "\r\n";
  if (std::string(status) == "COMPLETED") t += "PERCENT-COMPLETE:100\r\nCOMPLETED:20240102T100000Z\r\n";
  return t + "END:VTODO\r\n";
}

std::string MemoVjournal(uint64_t seed, int index) {
  auto rng = ItemRng(seed, 4, index);
  std::string j = "BEGIN:VJOURNAL\r\nUID:" + ItemUid("memo", index) + "\r\nDTSTAMP:20240101T000000Z\r\nCREATED:20240101T000000Z\r\n";
  j += "DTSTART;VALUE=DATE:" + LocalTime(static_cast<int>(rng() % 365), 0, 0).substr(0, 8) + "\r\n";
  j += std::string("SUMMARY:Notes from ") + Pick(rng, kCities) + "\r\n";
  j += "DESCRIPTION:Line one of memo " + std::to_string(index) + "\\nZweite Zeile: Grüße\\, ça va?\r\n";
  return j + "END:VJOURNAL\r\n";
}

}  // namespace holdfast::eds_tool
