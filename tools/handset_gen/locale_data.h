// Word lists for the synthetic handset: people's names, addresses, company
// names and sentences in many scripts (Latin with accents, Cyrillic, Greek,
// Arabic, Hebrew, Devanagari, CJK, Hangul, Thai), all valid UTF-8.
//
// The tables are static and immutable; thread-safe. Durability: none.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tools/handset_gen/rng.h"

namespace holdfast::handset_gen {

struct PostalAddress {
  std::string_view street;  // '#' marks where the house number goes
  std::string_view city;
  std::string_view region;  // may be empty
  std::string_view postcode;
};

struct LocaleData {
  std::string_view tag;           // BCP 47 language tag, e.g. "de", "zh-CN"
  std::string_view country;       // the country's name in its own language
  std::string_view calling_code;  // "+49"
  bool family_first;              // the family name comes first in FN
  bool no_space_in_name;          // FN joins the parts without a space (CJK)
  std::span<const std::string_view> given_names;
  std::span<const std::string_view> family_names;
  std::span<const PostalAddress> addresses;
  std::span<const std::string_view> organisations;
  std::span<const std::string_view> sentences;
  std::span<const std::string_view> event_titles;
  std::span<const std::string_view> task_titles;
};

// Every locale, and a weight per locale for how common it is on the handset
// (same length as Locales()).
std::span<const LocaleData> Locales();
std::span<const int> LocaleWeights();

// Words used everywhere: e-mail domains, job titles, categories, emoji.
std::span<const std::string_view> EmailDomains();
std::span<const std::string_view> EmailSyllables();
std::span<const std::string_view> JobTitles();
std::span<const std::string_view> Categories();
std::span<const std::string_view> Emoji();

// A locale drawn with LocaleWeights().
const LocaleData& PickLocale(Rng& rng);

// `sentences` sentences from the locale's list (with an occasional emoji),
// joined the way the language joins them; `paragraph_every` > 0 starts a new
// paragraph ("\n\n") after about that many sentences.
std::string Prose(Rng& rng, const LocaleData& locale, int sentences, int paragraph_every = 0);

}  // namespace holdfast::handset_gen
