#include "tools/handset_gen/text_format.h"

#include <cstddef>

namespace holdfast::handset_gen {
namespace {

constexpr size_t kMaxLineOctets = 75;
constexpr size_t kMaxQpLine = 76;  // including the '=' of a soft break

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

void AppendFolded(std::string& out, std::string_view line) {
  size_t limit = kMaxLineOctets;
  bool first = true;
  while (!line.empty()) {
    size_t take = line.size() <= limit ? line.size() : limit;
    // Back off to a code point boundary; a run of continuation bytes longer
    // than a code point only happens in deliberately invalid text.
    if (take < line.size()) {
      size_t back = take;
      while (back > 0 && IsContinuationByte(static_cast<unsigned char>(line[back]))) --back;
      if (back > 0) take = back;
    }
    if (!first) out.push_back(' ');
    out.append(line.substr(0, take));
    out.append(kCrlf);
    line.remove_prefix(take);
    first = false;
    limit = kMaxLineOctets - 1;  // the leading space counts
  }
  if (first) out.append(kCrlf);
}

void AppendLine(std::string& out, std::string_view line) {
  out.append(line);
  out.append(kCrlf);
}

void AppendQuotedPrintable(std::string& out, std::string_view prefix,
                           std::string_view value_bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.append(prefix);
  size_t line_len = prefix.size();
  for (size_t i = 0; i < value_bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(value_bytes[i]);
    const bool last = i + 1 == value_bytes.size();
    const bool literal = (c >= 33 && c <= 126 && c != '=') || (c == ' ' && !last);
    const size_t token_len = literal ? 1 : 3;
    if (line_len + token_len > kMaxQpLine - 1) {
      out.append("=\r\n");
      line_len = 0;
    }
    if (literal) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('=');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
    line_len += token_len;
  }
  out.append(kCrlf);
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case ';':
        out.append("\\;");
        break;
      case ',':
        out.append("\\,");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
        break;
    }
  }
  return out;
}

std::string EscapeText21(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 4);
  for (char c : text) {
    if (c == ';') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool FitsLatin1(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) continue;
    // U+0080..U+00FF are exactly the two-byte sequences led by C2 or C3.
    if ((c != 0xC2 && c != 0xC3) || i + 1 >= text.size()) return false;
    ++i;
  }
  return true;
}

std::string ToLatin1(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80 || i + 1 >= text.size()) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const auto next = static_cast<unsigned char>(text[++i]);
    out.push_back(static_cast<char>(((c & 0x03) << 6) | (next & 0x3F)));
  }
  return out;
}

bool IsPlainAscii(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F) return false;
  }
  return true;
}

int64_t DaysFromCivil(int year, int month, int day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

DateTime CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  DateTime dt;
  dt.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  dt.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  dt.year = static_cast<int>(yoe + era * 400 + (dt.month <= 2 ? 1 : 0));
  return dt;
}

int64_t ToEpochSeconds(const DateTime& dt) {
  return DaysFromCivil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 + dt.minute * 60 +
         dt.second;
}

DateTime FromEpochSeconds(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  DateTime dt = CivilFromDays(days);
  dt.hour = static_cast<int>(rem / 3600);
  dt.minute = static_cast<int>(rem / 60 % 60);
  dt.second = static_cast<int>(rem % 60);
  return dt;
}

int Weekday(const DateTime& dt) {
  const int64_t days = DaysFromCivil(dt.year, dt.month, dt.day);
  int64_t weekday = (days + 4) % 7;  // 1970-01-01 was a Thursday
  if (weekday < 0) weekday += 7;
  return static_cast<int>(weekday);
}

std::string Padded(int64_t value, int width) {
  std::string digits;
  const bool negative = value < 0;
  uint64_t v = negative ? static_cast<uint64_t>(-value) : static_cast<uint64_t>(value);
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + v % 10));
    v /= 10;
  } while (v > 0);
  while (static_cast<int>(digits.size()) < width) digits.insert(digits.begin(), '0');
  if (negative) digits.insert(digits.begin(), '-');
  return digits;
}

std::string FormatDateBasic(const DateTime& dt) {
  return Padded(dt.year, 4) + Padded(dt.month, 2) + Padded(dt.day, 2);
}

std::string FormatBasic(const DateTime& dt) {
  return FormatDateBasic(dt) + "T" + Padded(dt.hour, 2) + Padded(dt.minute, 2) +
         Padded(dt.second, 2);
}

std::string FormatDateExtended(const DateTime& dt) {
  return Padded(dt.year, 4) + "-" + Padded(dt.month, 2) + "-" + Padded(dt.day, 2);
}

std::string FormatExtendedUtc(const DateTime& dt) {
  return FormatDateExtended(dt) + "T" + Padded(dt.hour, 2) + ":" + Padded(dt.minute, 2) + ":" +
         Padded(dt.second, 2) + "Z";
}

}  // namespace holdfast::handset_gen
