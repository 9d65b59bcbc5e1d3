// holdfast-handset-gen: writes a realistic synthetic handset (contacts,
// calendars, tasks, notes, photos) into an empty folder, for tests, benchmarks
// and demos of the capture code.
//
//   holdfast-handset-gen --profile small|large|huge --seed N --out DIR [--malformed]
//
// Profiles (counts are exact; photo sizes are targets, met within ~8%):
//   small   200 contacts, 300 events,  50 tasks,   20 notes,  20 photos of 100-300 KiB
//   large   100,000 contacts, 20,000 events, 5,000 tasks, 1,000 notes,
//           500 photos of 0.9-1.1 MiB
//   huge    ten times every count of large (1,000,000 contacts, ..., 5,000
//           photos of the same sizes): for showing that memory does not grow
//           with the number of items
//
// Layout (the capture code relies on it exactly):
//   DIR/contacts/personal/<uid>.vcf   vdir: one vCard per file (~80% of contacts)
//   DIR/contacts/work/<uid>.vcf       (~20%)
//   DIR/calendars/home/<uid>.ics      one VCALENDAR per file with one VEVENT (~65%)
//   DIR/calendars/work/<uid>.ics      (~35%)
//   DIR/tasks/todo/<uid>.ics          one VCALENDAR with one VTODO
//   DIR/notes/journal/<uid>.ics       one VCALENDAR with one VJOURNAL
//   DIR/photos/DCIM/Camera/IMG_YYYYMMDD_HHMMSS_N.jpg             (~60% of photos)
//   DIR/photos/DCIM/Screenshots/Screenshot_YYYYMMDD-HHMMSS_N.jpg (~20%)
//   DIR/photos/Pictures/2019/Trip/DSC_NNNN.jpg                    (~20%, shared
//   DIR/photos/Pictures/2019/Trip/Day 2/DSC_NNNN.jpg               in turn by the
//   DIR/photos/Pictures/2019/Trip/Kyōto 京都/DSC_NNNN.jpg           three folders;
//                                          note the space and the UTF-8 name)
// <uid> is the item's UID exactly (characters [A-Za-z0-9@._-] only). About 5%
// of contacts have no UID; their file is then "contact-<8 hex>.vcf" or
// "<number>.vcf". Every folder above exists even when empty.
//
// Content (see contact_gen.h and calendar_gen.h for details): CRLF line
// endings; vCard 2.1 (~25%, CHARSET=UTF-8 or ISO-8859-1, QUOTED-PRINTABLE
// with '=' soft line breaks, unfolded), 3.0 (~45%) and 4.0 (~30%, both folded
// at 75 octets); names, addresses and notes in Latin with accents, Cyrillic,
// Greek, Arabic, Hebrew, Devanagari, CJK, Hangul and Thai, all valid UTF-8;
// ~2% of contacts embed a small base64 JPEG PHOTO. Events carry VTIMEZONEs of
// real zones, RRULE (~20%), VALARM (~30%). Photos are baseline JFIF JPEGs (no
// EXIF) of pseudo-random scenes under noise.
//
// --malformed adds these files (on top of the profile's counts; the regular
// files stay byte-identical to a run without it):
//   contacts/personal/malformed-binary-junk.vcf   4 KiB of random bytes with many NULs
//   contacts/personal/malformed-truncated.vcf     BEGIN:VCARD, cut mid-line, no END:VCARD
//   contacts/personal/malformed-invalid-utf8.vcf  vCard 4.0 whose FN, N and NOTE hold
//                                                 invalid UTF-8 (Latin-1 byte, overlong,
//                                                 lone continuation, surrogate, > U+10FFFF)
//   contacts/work/malformed-no-version.vcf        BEGIN/END:VCARD without VERSION
//   calendars/home/malformed-no-end.ics           VCALENDAR+VEVENT with neither END line
//   calendars/home/malformed-empty.ics            0 bytes
//   calendars/work/malformed-binary-junk.ics      2 KiB of random bytes with many NULs
//   tasks/todo/malformed-bad-date.ics             complete VTODO whose DTSTAMP and DUE
//                                                 are not valid dates
//   photos/DCIM/Camera/malformed-truncated.jpg    the first half of a JPEG (no EOI)
// and two VALID multi-item exports:
//   contacts/personal/export-many.vcf             several VCARDs back to back (25 small,
//                                                 1,000 large), mixed 2.1/3.0/4.0
//   calendars/home/export-many.ics                one VCALENDAR with its VTIMEZONEs and
//                                                 several VEVENTs (30 small, 500 large)
//
// Reproducibility: the same profile, seed and flags give a byte-identical
// tree on any machine with the same libjpeg-turbo release: our own PRNG
// (rng.h), no clock, no locale. Every file and folder (DIR included) gets one
// seed-derived mtime in 2024; all timestamps inside the data are earlier
// (events reach a year later), as if the handset's clock read that time.
// Files are 0644, folders 0755.
//
// Thread-safety: GenerateHandset may run concurrently for different output
// folders; it uses worker threads for photos. Durability: none (test data,
// plain writes without fsync; an interrupted run leaves a partial tree).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "platform/status.h"

namespace holdfast::handset_gen {

enum class Profile { kSmall, kLarge, kHuge };

struct ProfileSpec {
  int contacts = 0;
  int events = 0;
  int tasks = 0;
  int notes = 0;
  int photos = 0;
  uint64_t photo_min_bytes = 0;
  uint64_t photo_max_bytes = 0;
  int export_contacts = 0;  // cards in export-many.vcf (--malformed)
  int export_events = 0;    // events in export-many.ics (--malformed)
};

// The counts and sizes of a profile.
ProfileSpec SpecFor(Profile profile);

// "small" or "large"; kInvalidArgument otherwise.
Result<Profile> ParseProfile(std::string_view name);

struct GenerateOptions {
  Profile profile = Profile::kSmall;
  uint64_t seed = 0;
  std::filesystem::path out_dir;
  bool malformed = false;
};

struct GenerateSummary {
  int contacts = 0;
  int events = 0;
  int tasks = 0;
  int notes = 0;
  int photos = 0;
  int extra_files = 0;       // --malformed files (malformed ones and exports)
  uint64_t files = 0;        // every file written
  uint64_t bytes = 0;        // their total size
  uint64_t photo_bytes = 0;  // of which photos
  int64_t mtime_epoch = 0;   // the fixed mtime given to everything
};

// Generates the handset into options.out_dir, creating it (and parents) when
// missing. Not idempotent: refuses a folder that has anything in it.
// Errors: kAlreadyExists when out_dir is not empty, kInvalidArgument when it
// is not a folder, kPermission/kNoSpace/kIoError from the file system (the
// tree is then partial), kInternal when libjpeg fails.
Result<GenerateSummary> GenerateHandset(const GenerateOptions& options);

}  // namespace holdfast::handset_gen
