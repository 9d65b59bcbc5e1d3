#include "tools/handset_gen/malformed.h"

#include <utility>

#include "tools/handset_gen/calendar_gen.h"
#include "tools/handset_gen/contact_gen.h"
#include "tools/handset_gen/jpeg_gen.h"
#include "tools/handset_gen/rng.h"

namespace holdfast::handset_gen {
namespace {

enum StreamTag : uint64_t {
  kJunkStream = 0x6A756E6B,
  kExportContactsStream,
  kExportEventsStream,
  kTruncatedPhotoStream,
};

// Random bytes with a NUL every few bytes, like a file whose blocks were
// never written or a binary saved under the wrong name.
std::string Junk(uint64_t seed, size_t size) {
  Rng rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = rng.Below(6) == 0 ? '\0' : static_cast<char>(rng.Below(256));
  }
  return out;
}

}  // namespace

Result<std::vector<ExtraFile>> MakeExtraFiles(uint64_t seed, int64_t now_epoch, int export_contacts,
                                              int export_events) {
  std::vector<ExtraFile> files;

  files.push_back(
      {"contacts/personal/malformed-binary-junk.vcf", Junk(MixSeed(seed, kJunkStream), 4096)});
  files.push_back({"contacts/personal/malformed-truncated.vcf",
                   "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Truncated;Tess;;;\r\nFN:Tess Truncated\r\n"
                   "EMAIL;TYPE=INTERNET,HOME:tess@example.org\r\nTEL;TYPE=CELL:+1 (415) 55"});
  files.push_back({"contacts/personal/malformed-invalid-utf8.vcf",
                   "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:malformed-invalid-utf8\r\n"
                   "FN:Caf\xC3\x28 Ren\xE9\r\nN:Ren\xE9;Caf\xC3\x28;;;\r\n"
                   "NOTE:overlong \xC0\xAF lone continuation \x80 cut \xE2\x82 surrogate "
                   "\xED\xA0\x80 too big \xF4\x90\x80\x80 never \xFF\xFE\r\nEND:VCARD\r\n"});
  files.push_back({"contacts/work/malformed-no-version.vcf",
                   "BEGIN:VCARD\r\nN:Nobody;Nora;;;\r\nFN:Nora Nobody\r\n"
                   "TEL:+44 20 7946 0000\r\nEND:VCARD\r\n"});
  files.push_back({"calendars/home/malformed-no-end.ics",
                   "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast//handset-gen//EN\r\n"
                   "BEGIN:VEVENT\r\nUID:malformed-no-end\r\nDTSTAMP:20230101T000000Z\r\n"
                   "DTSTART:20230412T101500Z\r\nSUMMARY:Never closed\r\n"});
  files.push_back({"calendars/home/malformed-empty.ics", ""});
  files.push_back(
      {"calendars/work/malformed-binary-junk.ics", Junk(MixSeed(seed, kJunkStream + 100), 2048)});
  files.push_back({"tasks/todo/malformed-bad-date.ics",
                   "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast//handset-gen//EN\r\n"
                   "BEGIN:VTODO\r\nUID:malformed-bad-date\r\nDTSTAMP:20231301T256100Z\r\n"
                   "DUE;VALUE=DATE:2023-13-45\r\nSUMMARY:Due on a day that does not exist\r\n"
                   "END:VTODO\r\nEND:VCALENDAR\r\n"});

  Result<std::string> photo = MakeAvatarJpeg(MixSeed(seed, kTruncatedPhotoStream));
  if (!photo) return photo.error();
  files.push_back(
      {"photos/DCIM/Camera/malformed-truncated.jpg", photo->substr(0, photo->size() / 2)});

  ContactGenerator contacts(MixSeed(seed, kExportContactsStream), now_epoch);
  std::string vcf;
  for (int i = 0; i < export_contacts; ++i) {
    Result<ContactFile> card = contacts.Next();
    if (!card) return card.error();
    vcf += card->bytes;
  }
  files.push_back({"contacts/personal/export-many.vcf", std::move(vcf)});

  CalendarGenerator events(MixSeed(seed, kExportEventsStream), now_epoch);
  files.push_back({"calendars/home/export-many.ics", events.EventExport(export_events)});
  return files;
}

}  // namespace holdfast::handset_gen
