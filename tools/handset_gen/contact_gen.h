// Synthetic address-book entries: one vCard per call, in the mix a handset
// really holds (2.1 from old Android exports, 3.0 from iOS/CardDAV, 4.0 from
// newer sync clients), with names and addresses in many scripts.
//
// What a card may hold: N, FN, NICKNAME, TEL, EMAIL, ADR, ORG, TITLE, BDAY,
// URL, CATEGORIES, NOTE (sometimes long, folded), PHOTO (about 2%: a small
// base64 JPEG), UID (about 95%), REV. Version specifics:
//   2.1  CHARSET=UTF-8 or CHARSET=ISO-8859-1 with ENCODING=QUOTED-PRINTABLE for
//        non-ASCII or long values ('=' soft line breaks); PHOTO as an indented
//        BASE64 block ended by an empty line; lines are not folded.
//   3.0  TYPE= parameters, Apple-style itemN. groups, ENCODING=b PHOTO.
//   4.0  VALUE=uri tel: numbers, PREF=, LANG=, KIND, data: URI PHOTO.
// Lines end in CRLF; 3.0 and 4.0 lines are folded at 75 octets.
//
// Thread-safety: a ContactGenerator is used by one thread. Durability: none.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "platform/status.h"
#include "tools/handset_gen/rng.h"

namespace holdfast::handset_gen {

enum class VcardVersion { k21, k30, k40 };

struct ContactFile {
  // "<uid>.vcf", or a made-up unique name such as "contact-1a2b3c4d.vcf"
  // when the card has no UID.
  std::string file_name;
  bool work = false;  // belongs in contacts/work (about 20%), else personal
  VcardVersion version = VcardVersion::k30;
  std::string bytes;  // exactly one BEGIN:VCARD ... END:VCARD
};

class ContactGenerator {
 public:
  // `now_epoch` is the handset's "current time": every REV is before it.
  ContactGenerator(uint64_t seed, int64_t now_epoch);

  // The next contact. File names never repeat within one generator.
  // Errors: kInternal when libjpeg fails on an embedded photo.
  Result<ContactFile> Next();

 private:
  Rng rng_;
  int64_t now_epoch_;
  std::unordered_set<std::string> used_names_;
};

}  // namespace holdfast::handset_gen
