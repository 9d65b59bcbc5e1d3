#include "platform/pim/vcard_reader.h"

#include <exception>
#include <new>
#include <string>
#include <utility>

namespace holdfast::platform {
namespace {

// What the reader has seen of the top-level card it is in.
struct CardState {
  size_t begin_offset = 0;
  int first_line = 0;
  std::string version;
  int invalid_utf8_line = 0;  // first line that is not UTF-8, or 0
  bool has_version = false;
  bool has_uid = false;
  bool has_fn = false;
  bool has_n = false;
  bool has_org = false;
  bool has_rev = false;
  std::string uid;
  std::string fn;
  std::string n;  // already joined readably
  std::string org;
  std::string rev;
};

// N is family;given;additional;prefixes;suffixes, each a comma list. A
// person reads it as "prefixes given additional family suffixes".
std::string ReadableName(std::string_view decoded_n) {
  static constexpr size_t kOrder[] = {3, 1, 2, 0, 4};
  std::vector<std::string_view> components = SplitStructured(decoded_n, ';');
  std::string out;
  for (size_t index : kOrder) {
    if (index >= components.size()) continue;
    for (std::string_view piece : SplitStructured(components[index], ',')) {
      std::string word = UnescapeText(piece);
      std::string_view trimmed = TrimWhitespace(word);
      if (trimmed.empty()) continue;
      if (!out.empty()) out.push_back(' ');
      out.append(trimmed);
    }
  }
  return out;
}

// Records the first VERSION, UID, FN, N, ORG and REV of a card.
void NoteCardProperty(const ContentLineParts& parts, CardState* card) {
  std::string_view name = parts.name;
  if (!card->has_version && EqualsIgnoreCase(name, "VERSION")) {
    card->has_version = true;
    card->version = std::string(TrimWhitespace(parts.value));
  } else if (!card->has_uid && EqualsIgnoreCase(name, "UID")) {
    card->has_uid = true;
    card->uid = UnescapeText(DecodeValue(parts));
  } else if (!card->has_fn && EqualsIgnoreCase(name, "FN")) {
    card->has_fn = true;
    card->fn = std::string(TrimWhitespace(UnescapeText(DecodeValue(parts))));
  } else if (!card->has_n && EqualsIgnoreCase(name, "N")) {
    card->has_n = true;
    card->n = ReadableName(DecodeValue(parts));
  } else if (!card->has_org && EqualsIgnoreCase(name, "ORG")) {
    card->has_org = true;
    std::string decoded = DecodeValue(parts);
    card->org = std::string(TrimWhitespace(UnescapeText(SplitStructured(decoded, ';')[0])));
  } else if (!card->has_rev && EqualsIgnoreCase(name, "REV")) {
    card->has_rev = true;
    card->rev = std::string(parts.value);
  }
}

// vCard 2.1 (and the rare 1.x, or a card that does not say) may hold
// legacy 8-bit text; 3.0 and 4.0 are UTF-8 only.
bool IsLegacyVersion(std::string_view version) {
  return version.empty() || version[0] == '1' || version[0] == '2';
}

PimItem MakeItem(CardState&& card) {
  PimItem item;
  item.kind = PimKind::kContact;
  item.uid = std::move(card.uid);
  if (!card.fn.empty()) {
    item.summary = std::move(card.fn);
  } else if (!card.n.empty()) {
    item.summary = std::move(card.n);
  } else {
    item.summary = std::move(card.org);
  }
  item.revision = std::move(card.rev);
  item.first_line = card.first_line;
  return item;
}

bool IsBegin(const ContentLineParts& parts, std::string_view what) {
  return EqualsIgnoreCase(parts.name, "BEGIN") &&
         EqualsIgnoreCase(TrimWhitespace(parts.value), what);
}

Result<std::vector<PimItem>> ReadCards(std::string_view bytes, std::string_view path) {
  HF_RETURN_IF_ERROR(CheckTextBytes(bytes, path));
  ContentLineReader reader(bytes, path, /*qp_soft_breaks=*/true);
  BlockStack open;
  std::vector<PimItem> items;
  std::vector<std::pair<size_t, size_t>> ranges;  // [begin, end) of each card
  CardState card;
  ContentLine line;
  ContentLineParts parts;
  while (reader.Next(&line)) {
    std::string_view text = line.text;
    if (open.empty()) {
      // Files joined with `cat` can carry a BOM in front of later cards too.
      text.remove_prefix(Utf8BomLength(text));
      if (IsBlankLine(text)) continue;
      if (SplitContentLine(text, &parts) && IsBegin(parts, "VCARD")) {
        card = CardState();
        card.begin_offset = line.begin_offset;
        card.first_line = line.line_number;
        if (!IsValidUtf8(text)) card.invalid_utf8_line = line.line_number;
        HF_RETURN_IF_ERROR(open.Begin(TrimWhitespace(parts.value), line.line_number, path));
        continue;
      }
      if (items.empty()) {
        return MalformedInput(
            path, line.line_number,
            "not a vCard file: expected BEGIN:VCARD, found " + QuoteForMessage(text));
      }
      return MalformedInput(path, line.line_number,
                            "text outside BEGIN:VCARD ... END:VCARD: " + QuoteForMessage(text));
    }
    if (card.invalid_utf8_line == 0 && !IsValidUtf8(text))
      card.invalid_utf8_line = line.line_number;
    if (IsBlankLine(text)) continue;
    if (!SplitContentLine(text, &parts)) {
      return MalformedInput(
          path, line.line_number,
          "content line has no property name and ':' before its value: " + QuoteForMessage(text));
    }
    if (EqualsIgnoreCase(parts.name, "BEGIN")) {
      HF_RETURN_IF_ERROR(open.Begin(TrimWhitespace(parts.value), line.line_number, path));
      continue;
    }
    if (EqualsIgnoreCase(parts.name, "END")) {
      HF_RETURN_IF_ERROR(open.End(TrimWhitespace(parts.value), line.line_number, path));
      if (!open.empty()) continue;
      if (card.invalid_utf8_line != 0 && !IsLegacyVersion(card.version)) {
        return MalformedInput(path, card.invalid_utf8_line,
                              "text is not valid UTF-8, which a vCard " + card.version +
                                  " must be (only vCard 2.1 may use other charsets)");
      }
      ranges.emplace_back(card.begin_offset, line.end_offset);
      items.push_back(MakeItem(std::move(card)));
      continue;
    }
    if (open.depth() == 1) NoteCardProperty(parts, &card);
  }
  if (!reader.status().ok()) return reader.status();
  HF_RETURN_IF_ERROR(open.CheckAllClosed(path));
  if (items.empty()) {
    return MalformedInput(path, 1, "no vCard in the file (no BEGIN:VCARD line)");
  }
  if (items.size() == 1) {
    items[0].raw = std::string(bytes);
  } else {
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].raw = std::string(bytes.substr(ranges[i].first, ranges[i].second - ranges[i].first));
    }
  }
  return items;
}

}  // namespace

Result<std::vector<PimItem>> ReadVcardFile(std::string_view bytes, std::string_view path) {
  return GuardedRead(path, [&] { return ReadCards(bytes, path); });
}

}  // namespace holdfast::platform
