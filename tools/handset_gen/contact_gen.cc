#include "tools/handset_gen/contact_gen.h"

#include <string_view>
#include <utility>
#include <vector>

#include "tools/handset_gen/jpeg_gen.h"
#include "tools/handset_gen/locale_data.h"
#include "tools/handset_gen/text_format.h"

namespace holdfast::handset_gen {
namespace {

constexpr int64_t kSecondsPerYear = 365 * 86400;

struct Phone {
  std::string_view type;  // "CELL", "HOME", "WORK", "FAX"
  std::string national;   // as typed on the handset
  std::string digits;     // international digits after '+', for tel: URIs
  bool pref = false;
};

struct Email {
  std::string_view type;  // "HOME", "WORK", "OTHER"
  std::string address;
};

struct Address {
  std::string_view type;  // "HOME", "WORK"
  std::string street;
  std::string city;
  std::string region;
  std::string postcode;
  std::string country;
};

// Everything one card says, before it is written in a vCard version.
struct Contact {
  const LocaleData* locale = nullptr;
  std::string uid;  // empty: the card has no UID
  bool company = false;
  std::string given, family, middle, prefix, nickname, fn;
  std::vector<Phone> phones;
  std::vector<Email> emails;
  std::vector<Address> addresses;
  std::string org, department, title;
  bool has_bday = false;
  bool bday_without_year = false;
  DateTime bday;
  bool has_rev = false;
  DateTime rev;
  std::string note;
  std::string url;
  std::vector<std::string> categories;
  std::string photo;  // JPEG bytes
  char gender = 0;    // 0, 'M', 'F'
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Digits(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + rng.Below(10)));
  return out;
}

Phone MakePhone(Rng& rng, const LocaleData& locale, std::string_view type) {
  Phone phone;
  phone.type = type;
  const std::string_view cc = locale.calling_code;
  if (cc == "+1") {
    // 555-01xx numbers are reserved for fiction.
    const std::string area = std::to_string(rng.Int(201, 989));
    const std::string line = "01" + Digits(rng, 2);
    phone.digits = "1" + area + "555" + line;
    switch (rng.Below(4)) {
      case 0:
        phone.national = "+1 (" + area + ") 555-" + line;
        break;
      case 1:
        phone.national = "(" + area + ") 555-" + line;
        break;
      case 2:
        phone.national = "+1" + area + "555" + line;
        break;
      default:
        phone.national = area + "-555-" + line;
        break;
    }
    return phone;
  }
  const std::string head_digits = Digits(rng, 2);
  const std::string head = std::to_string(rng.Int(1, 9)) + head_digits;
  const std::string tail = Digits(rng, rng.Int(6, 7));
  const std::string cc_digits(cc.substr(1));
  phone.digits = cc_digits + head + tail;
  switch (rng.Below(3)) {
    case 0:
      phone.national = std::string(cc) + " " + head + " " + tail;
      break;
    case 1:
      phone.national = "0" + head + " " + tail;
      break;
    default:
      phone.national = std::string(cc) + head + tail;
      break;
  }
  return phone;
}

std::string MakeEmailAddress(Rng& rng, bool work, std::string_view org) {
  std::string local;
  const int syllables = rng.Int(2, 4);
  for (int i = 0; i < syllables; ++i) {
    if (i == 2 && rng.Percent(50)) local += '.';
    local += rng.Pick(EmailSyllables());
  }
  if (rng.Percent(30)) local += std::to_string(rng.Int(1, 99));
  if (work && !org.empty() && IsPlainAscii(org)) {
    std::string domain;
    for (char c : org) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) domain += c;
      if (domain.size() >= 12) break;
    }
    if (!domain.empty()) return local + "@" + Lower(domain) + ".example";
  }
  return local + "@" + std::string(rng.Pick(EmailDomains()));
}

std::string ReplaceHash(std::string_view pattern, int number) {
  std::string out;
  for (char c : pattern) {
    if (c == '#') {
      out += std::to_string(number);
    } else {
      out += c;
    }
  }
  return out;
}

Address MakeAddress(Rng& rng, const LocaleData& locale, std::string_view type) {
  const PostalAddress& a = rng.Pick(locale.addresses);
  Address adr;
  adr.type = type;
  adr.street = ReplaceHash(a.street, rng.Int(1, 240));
  adr.city = a.city;
  adr.region = a.region;
  adr.postcode = a.postcode;
  if (rng.Percent(50)) adr.country = locale.country;
  return adr;
}

DateTime RandomPast(Rng& rng, int64_t now_epoch, int64_t max_age_seconds) {
  return FromEpochSeconds(now_epoch - rng.Range(0, max_age_seconds));
}

std::string MakeUid(Rng& rng) {
  switch (rng.Weighted({60, 15, 10, 10, 5})) {
    case 0:
      return rng.Uuid();
    case 1:
      return Upper(rng.Uuid());
    case 2:
      return rng.Hex(16);
    case 3:
      return "pas-id-" + Upper(rng.Hex(16));
    default:
      return rng.Hex(24) + "@example.com";
  }
}

Result<Contact> MakeContact(Rng& rng, int64_t now_epoch, bool work) {
  Contact c;
  const LocaleData& loc = PickLocale(rng);
  c.locale = &loc;
  if (rng.Percent(95)) c.uid = MakeUid(rng);
  c.company = rng.Percent(6);
  if (work || rng.Percent(20) || c.company) {
    c.org = rng.Pick(loc.organisations);
    if (rng.Percent(25)) c.department = rng.Percent(50) ? "R&D" : "Sales, EMEA";
    if (!c.company && rng.Percent(60)) c.title = rng.Pick(JobTitles());
  }
  if (c.company) {
    c.fn = c.org;
  } else {
    c.given = rng.Pick(loc.given_names);
    c.family = rng.Pick(loc.family_names);
    if (!loc.no_space_in_name && rng.Percent(8)) c.middle = rng.Pick(loc.given_names);
    if (loc.tag == "en-US" && rng.Percent(5)) c.prefix = "Dr.";
    if (loc.family_first) {
      c.fn = loc.no_space_in_name ? c.family + c.given : c.family + " " + c.given;
    } else {
      c.fn = c.given + (c.middle.empty() ? "" : " " + c.middle) + " " + c.family;
    }
    if (!c.prefix.empty()) c.fn = c.prefix + " " + c.fn;
    if (rng.Percent(5)) c.nickname = c.given + " " + std::string(rng.Pick(Emoji()));
    if (rng.Percent(10)) c.gender = rng.Percent(50) ? 'M' : 'F';
  }

  static constexpr std::string_view kPhoneTypes[] = {"CELL", "HOME", "WORK", "CELL", "FAX"};
  const size_t phones = rng.Weighted({5, 60, 25, 10});
  for (size_t i = 0; i < phones; ++i) {
    c.phones.push_back(MakePhone(rng, loc, i == 0 ? "CELL" : rng.Pick(kPhoneTypes)));
  }
  if (c.phones.size() > 1) c.phones[rng.Below(c.phones.size())].pref = true;

  const size_t emails = rng.Weighted({40, 45, 15});
  for (size_t i = 0; i < emails; ++i) {
    const bool work_mail = i == 1 || (work && i == 0);
    c.emails.push_back({work_mail ? "WORK" : (rng.Percent(80) ? "HOME" : "OTHER"),
                        MakeEmailAddress(rng, work_mail, c.org)});
  }
  const size_t addresses = rng.Weighted({65, 30, 5});
  for (size_t i = 0; i < addresses; ++i) {
    c.addresses.push_back(MakeAddress(rng, loc, i == 0 && !work ? "HOME" : "WORK"));
  }
  if (!c.company && rng.Percent(30)) {
    c.has_bday = true;
    c.bday_without_year = rng.Percent(15);
    const int year = rng.Int(1940, 2015);
    c.bday = CivilFromDays(DaysFromCivil(year, 1, 1) + rng.Int(0, 364));
  }
  if (rng.Percent(85)) {
    c.has_rev = true;
    c.rev = RandomPast(rng, now_epoch, 6 * kSecondsPerYear);
  }
  if (rng.Percent(5)) {
    c.note = Prose(rng, loc, rng.Int(8, 30), 4);  // long: folded over many lines
  } else if (rng.Percent(20)) {
    c.note = Prose(rng, loc, rng.Int(1, 2));
  }
  if (rng.Percent(5)) c.url = "https://www.example.org/~" + rng.Hex(6);
  if (rng.Percent(15)) {
    c.categories.emplace_back(rng.Pick(Categories()));
    if (rng.Percent(30)) c.categories.emplace_back(rng.Pick(Categories()));
  }
  if (rng.Percent(2)) {
    Result<std::string> photo = MakeAvatarJpeg(rng.Next());
    if (!photo) return photo.error().WithContext("contact photo");
    c.photo = std::move(*photo);
  }
  return c;
}

// ---- vCard 2.1 --------------------------------------------------------------

bool HasHighBytes(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) return true;
  }
  return false;
}

// One 2.1 property: plain when the value is short printable ASCII, else
// quoted-printable, with a CHARSET when it has non-ASCII text.
void Prop21(std::string& out, std::string_view name, std::string_view value, bool latin1) {
  if (IsPlainAscii(value) && name.size() + value.size() < 75) {
    out.append(name).append(":").append(value).append(kCrlf);
    return;
  }
  std::string prefix(name);
  std::string bytes;
  // 2.1 notes carry CRLF line breaks, encoded as =0D=0A.
  for (char ch : value) {
    if (ch == '\n') bytes += '\r';
    bytes += ch;
  }
  if (HasHighBytes(value)) {
    prefix += latin1 ? ";CHARSET=ISO-8859-1" : ";CHARSET=UTF-8";
    if (latin1) bytes = ToLatin1(bytes);
  }
  prefix += ";ENCODING=QUOTED-PRINTABLE:";
  AppendQuotedPrintable(out, prefix, bytes);
}

std::string Join21(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out += ';';
    out += EscapeText21(p);
    first = false;
  }
  return out;
}

bool ContactFitsLatin1(const Contact& c) {
  for (const std::string* s : {&c.given, &c.family, &c.middle, &c.fn, &c.nickname, &c.org,
                               &c.department, &c.title, &c.note}) {
    if (!FitsLatin1(*s)) return false;
  }
  for (const Address& a : c.addresses) {
    for (const std::string* s : {&a.street, &a.city, &a.region, &a.country}) {
      if (!FitsLatin1(*s)) return false;
    }
  }
  return true;
}

std::string WriteVcard21(Rng& rng, const Contact& c) {
  const bool latin1 = ContactFitsLatin1(c) && rng.Percent(50);
  std::string out = "BEGIN:VCARD\r\nVERSION:2.1\r\n";
  Prop21(out, "N", Join21({c.family, c.given, c.middle, c.prefix, ""}), latin1);
  Prop21(out, "FN", c.fn, latin1);
  for (const Phone& p : c.phones) {
    std::string name = "TEL;" + std::string(p.type);
    if (p.type != "FAX") name += ";VOICE";
    if (p.pref) name += ";PREF";
    Prop21(out, name, p.national, latin1);
  }
  for (const Email& e : c.emails) {
    Prop21(out, "EMAIL;INTERNET;" + std::string(e.type), e.address, latin1);
  }
  for (const Address& a : c.addresses) {
    Prop21(out, "ADR;" + std::string(a.type),
           Join21({"", "", a.street, a.city, a.region, a.postcode, a.country}), latin1);
  }
  if (!c.org.empty()) Prop21(out, "ORG", Join21({c.org, c.department}), latin1);
  if (!c.title.empty()) Prop21(out, "TITLE", c.title, latin1);
  if (c.has_bday) Prop21(out, "BDAY", FormatDateExtended(c.bday), latin1);
  if (!c.url.empty()) Prop21(out, "URL", c.url, latin1);
  if (!c.note.empty()) Prop21(out, "NOTE", c.note, latin1);
  if (!c.nickname.empty()) {
    Prop21(out, "X-ANDROID-CUSTOM",
           "vnd.android.cursor.item/nickname;" + c.nickname + ";1;;;;;;;;;;;;;", latin1);
  }
  if (!c.photo.empty()) {
    // Android style: first chunk after the colon, then indented lines, then
    // an empty line ending the base64 block.
    const std::string b64 = Base64(c.photo);
    out += "PHOTO;ENCODING=BASE64;JPEG:";
    size_t pos = 0;
    size_t chunk = 48;
    while (pos < b64.size()) {
      if (pos > 0) out += "  ";
      out.append(b64, pos, chunk);
      out += kCrlf;
      pos += chunk;
      chunk = 72;
    }
    out += kCrlf;
  }
  if (!c.uid.empty()) Prop21(out, "UID", c.uid, latin1);
  if (c.has_rev) Prop21(out, "REV", FormatBasic(c.rev) + "Z", latin1);
  out += "END:VCARD\r\n";
  return out;
}

// ---- vCard 3.0 and 4.0 ------------------------------------------------------

std::string JoinEscaped(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view p : parts) {
    if (!first) out += ';';
    out += EscapeText(p);
    first = false;
  }
  return out;
}

std::string CategoriesValue(const std::vector<std::string>& categories) {
  std::string out;
  for (size_t i = 0; i < categories.size(); ++i) {
    if (i > 0) out += ',';
    out += EscapeText(categories[i]);
  }
  return out;
}

std::string WriteVcard30(Rng& rng, const Contact& c) {
  static constexpr std::string_view kProdIds[] = {
      "-//Apple Inc.//iPhone OS 17.4.1//EN", "-//Apple Inc.//Mac OS X 10.15.7//EN",
      "-//Sabre//Sabre VObject 4.5.4//EN", "ez-vcard 0.11.3"};
  const bool apple = rng.Percent(50);
  std::string out = "BEGIN:VCARD\r\nVERSION:3.0\r\n";
  if (rng.Percent(50)) AppendFolded(out, "PRODID:" + std::string(rng.Pick(kProdIds)));
  AppendFolded(out, "N:" + JoinEscaped({c.family, c.given, c.middle, c.prefix, ""}));
  AppendFolded(out, "FN:" + EscapeText(c.fn));
  if (!c.nickname.empty()) AppendFolded(out, "NICKNAME:" + EscapeText(c.nickname));
  if (!c.org.empty()) AppendFolded(out, "ORG:" + JoinEscaped({c.org, c.department}));
  if (!c.title.empty()) AppendFolded(out, "TITLE:" + EscapeText(c.title));
  for (const Email& e : c.emails) {
    AppendFolded(out, apple ? "EMAIL;type=INTERNET;type=" + std::string(e.type) + ":" + e.address
                            : "EMAIL;TYPE=INTERNET," + std::string(e.type) + ":" + e.address);
  }
  for (const Phone& p : c.phones) {
    std::string line = "TEL;TYPE=" + std::string(p.type);
    if (p.type != "FAX") line += ",VOICE";
    if (p.pref) line += apple ? ";type=pref" : ",PREF";
    AppendFolded(out, line + ":" + p.national);
  }
  int item = 0;
  for (const Address& a : c.addresses) {
    const std::string value =
        JoinEscaped({"", "", a.street, a.city, a.region, a.postcode, a.country});
    if (apple) {
      const std::string group = "item" + std::to_string(++item);
      AppendFolded(out, group + ".ADR;type=" + std::string(a.type) + ":" + value);
      AppendFolded(out, group + ".X-ABADR:" + std::string(c.locale->tag.substr(0, 2)));
    } else {
      AppendFolded(out, "ADR;TYPE=" + std::string(a.type) + ":" + value);
    }
  }
  if (c.has_bday) {
    if (c.bday_without_year && apple) {
      DateTime d = c.bday;
      d.year = 1604;  // Apple's marker year for "no year"
      AppendFolded(out, "BDAY;X-APPLE-OMIT-YEAR=1604:" + FormatDateExtended(d));
    } else {
      AppendFolded(out, "BDAY:" + FormatDateExtended(c.bday));
    }
  }
  if (!c.url.empty()) AppendFolded(out, "URL:" + c.url);
  if (!c.note.empty()) AppendFolded(out, "NOTE:" + EscapeText(c.note));
  if (!c.categories.empty()) AppendFolded(out, "CATEGORIES:" + CategoriesValue(c.categories));
  if (!c.photo.empty()) AppendFolded(out, "PHOTO;ENCODING=b;TYPE=JPEG:" + Base64(c.photo));
  if (!c.uid.empty()) AppendFolded(out, "UID:" + c.uid);
  if (c.has_rev) AppendFolded(out, "REV:" + FormatExtendedUtc(c.rev));
  out += "END:VCARD\r\n";
  return out;
}

std::string WriteVcard40(Rng& rng, const Contact& c) {
  static constexpr std::string_view kProdIds[] = {
      "-//Nextcloud Contacts v5.5.3//EN", "-//Sabre//Sabre VObject 4.5.4//EN", "ez-vcard 0.12.1"};
  std::string out = "BEGIN:VCARD\r\nVERSION:4.0\r\n";
  if (rng.Percent(60)) AppendFolded(out, "PRODID:" + std::string(rng.Pick(kProdIds)));
  if (!c.uid.empty()) AppendFolded(out, "UID:" + c.uid);
  if (c.company || rng.Percent(30)) {
    AppendFolded(out, std::string("KIND:") + (c.company ? "org" : "individual"));
  }
  const bool tag_lang = c.locale->tag != "en-US" && rng.Percent(40);
  AppendFolded(out, (tag_lang ? "FN;LANG=" + std::string(c.locale->tag) : std::string("FN")) + ":" +
                        EscapeText(c.fn));
  if (!c.company) {
    AppendFolded(out, "N:" + JoinEscaped({c.family, c.given, c.middle, c.prefix, ""}));
  }
  if (!c.nickname.empty()) AppendFolded(out, "NICKNAME:" + EscapeText(c.nickname));
  if (c.gender != 0) AppendFolded(out, std::string("GENDER:") + c.gender);
  if (c.has_bday) {
    AppendFolded(out, c.bday_without_year ? "BDAY:--" + FormatDateBasic(c.bday).substr(4)
                                          : "BDAY:" + FormatDateBasic(c.bday));
  }
  int pref = 0;
  for (const Phone& p : c.phones) {
    std::string type = Lower(p.type);
    if (p.type != "FAX") type += ",voice";
    std::string params = ";TYPE=\"" + type + "\"";
    if (p.pref) params += ";PREF=" + std::to_string(++pref);
    if (rng.Percent(70)) {
      AppendFolded(out, "TEL;VALUE=uri" + params + ":tel:+" + p.digits);
    } else {
      AppendFolded(out, "TEL" + params + ":" + p.national);
    }
  }
  for (size_t i = 0; i < c.emails.size(); ++i) {
    const Email& e = c.emails[i];
    AppendFolded(out, "EMAIL;TYPE=" + Lower(e.type) + (i == 0 ? ";PREF=1" : "") + ":" + e.address);
  }
  for (const Address& a : c.addresses) {
    std::string params = ";TYPE=" + Lower(a.type);
    if (rng.Percent(40))
      params += ";LABEL=\"" + a.street + "\\n" + a.postcode + " " + a.city + "\"";
    AppendFolded(out, "ADR" + params + ":" +
                          JoinEscaped({"", "", a.street, a.city, a.region, a.postcode, a.country}));
  }
  if (!c.org.empty()) AppendFolded(out, "ORG:" + JoinEscaped({c.org, c.department}));
  if (!c.title.empty()) AppendFolded(out, "TITLE:" + EscapeText(c.title));
  if (rng.Percent(20)) AppendFolded(out, "LANG;PREF=1:" + std::string(c.locale->tag));
  if (!c.url.empty()) AppendFolded(out, "URL:" + c.url);
  if (!c.note.empty()) AppendFolded(out, "NOTE:" + EscapeText(c.note));
  if (!c.categories.empty()) AppendFolded(out, "CATEGORIES:" + CategoriesValue(c.categories));
  if (!c.photo.empty()) AppendFolded(out, "PHOTO:data:image/jpeg;base64," + Base64(c.photo));
  if (c.has_rev) AppendFolded(out, "REV:" + FormatBasic(c.rev) + "Z");
  out += "END:VCARD\r\n";
  return out;
}

}  // namespace

ContactGenerator::ContactGenerator(uint64_t seed, int64_t now_epoch)
    : rng_(seed), now_epoch_(now_epoch) {}

Result<ContactFile> ContactGenerator::Next() {
  ContactFile file;
  file.work = rng_.Percent(20);
  Result<Contact> contact = MakeContact(rng_, now_epoch_, file.work);
  if (!contact) return contact.error();
  Contact& c = *contact;
  // A UID seen before (vanishingly rare) is dropped rather than reused.
  if (!c.uid.empty() && used_names_.count(c.uid + ".vcf") != 0) c.uid.clear();
  if (c.uid.empty()) {
    do {
      file.file_name = rng_.Percent(50) ? "contact-" + rng_.Hex(8) + ".vcf"
                                        : std::to_string(rng_.Int(1, 999999)) + ".vcf";
    } while (used_names_.count(file.file_name) != 0);
  } else {
    file.file_name = c.uid + ".vcf";
  }
  used_names_.insert(file.file_name);
  const size_t version = rng_.Weighted({25, 45, 30});
  switch (version) {
    case 0:
      file.version = VcardVersion::k21;
      file.bytes = WriteVcard21(rng_, c);
      break;
    case 1:
      file.version = VcardVersion::k30;
      file.bytes = WriteVcard30(rng_, c);
      break;
    default:
      file.version = VcardVersion::k40;
      file.bytes = WriteVcard40(rng_, c);
      break;
  }
  return file;
}

}  // namespace holdfast::handset_gen
