#include "platform/dav/content_compare.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace holdfast::platform::dav {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Whether a content line is quoted-printable (its name and parameters say
// QUOTED-PRINTABLE) and ends in '=', a soft line break.
bool EndsInSoftBreak(std::string_view line) {
  if (line.empty() || line.back() != '=') return false;
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  return Upper(line.substr(0, colon)).find("QUOTED-PRINTABLE") != std::string::npos;
}

// Content lines with folding undone and line ends dropped.
std::vector<std::string> UnfoldedLines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  bool have = false;
  bool qp_soft_break = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    i = end + 1;
    if (have && qp_soft_break) {
      // vCard 2.1 quoted-printable: a line ending in '=' goes on at the
      // start of the next, whatever that starts with.
      current.pop_back();
      current.append(line);
      qp_soft_break = EndsInSoftBreak(current);
      continue;
    }
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && have) {
      current.append(line.substr(1));
      qp_soft_break = EndsInSoftBreak(current);
      continue;
    }
    if (have && !current.empty()) lines.push_back(std::move(current));
    current.assign(line);
    have = true;
    qp_soft_break = EndsInSoftBreak(current);
  }
  if (have && !current.empty()) lines.push_back(std::move(current));
  return lines;
}

// Splits at `sep` outside double quotes.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == sep && !quoted) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

// Parameters whose values are case-insensitive tokens (RFC 6350, 2426,
// 5545; vCard 2.1).
bool TokenParameter(std::string_view name) {
  static constexpr std::string_view kNames[] = {"TYPE",  "ENCODING", "VALUE",   "CHARSET", "CUTYPE", "ROLE",
                                                "PARTSTAT", "RSVP", "RELATED", "FBTYPE",  "RELTYPE", "RANGE"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// A vCard 2.1 parameter given without a name ("TEL;CELL;VOICE:"): the
// parameter its value belongs to.
std::string NameOfBareParameter(std::string_view value) {
  static constexpr std::string_view kEncodings[] = {"QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"};
  static constexpr std::string_view kValues[] = {"INLINE", "URL", "CONTENT-ID", "CID"};
  if (std::find(std::begin(kEncodings), std::end(kEncodings), value) != std::end(kEncodings)) return "ENCODING";
  if (std::find(std::begin(kValues), std::end(kValues), value) != std::end(kValues)) return "VALUE";
  return "TYPE";
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Quoted-printable decoded; nullopt when malformed (then compared as sent).
std::optional<std::string> DecodeQuotedPrintable(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '=') {
      out.push_back(v[i]);
      continue;
    }
    const int hi = i + 1 < v.size() ? HexDigit(v[i + 1]) : -1;
    const int lo = i + 2 < v.size() ? HexDigit(v[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string Latin1ToUtf8(std::string_view v) {
  std::string out;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// "\;" "\," unescaped, "\N" read as "\n".
std::string UnescapeValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      const char next = v[i + 1];
      if (next == ';' || next == ',') {
        out.push_back(next);
        ++i;
        continue;
      }
      if (next == 'N') {
        out.append("\\n");
        ++i;
        continue;
      }
    }
    out.push_back(v[i]);
  }
  return out;
}

// A structured value (N, ADR, ORG, GENDER): its components split at ';'
// not escaped, each unescaped, trailing empty ones dropped (they hold
// nothing), written back with "\;" inside a component.
std::string CanonicalStructured(std::string_view v) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      parts.back().push_back(v[i]);
      parts.back().push_back(v[++i]);
    } else if (v[i] == ';') {
      parts.emplace_back();
    } else {
      parts.back().push_back(v[i]);
    }
  }
  while (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ';';
    for (char c : UnescapeValue(parts[i])) {
      if (c == ';') out += '\\';
      out += c;
    }
  }
  return out;
}

// An iCalendar duration ("PT90M", "-P1DT2H", "P2W") as its sign, nominal
// days and exact seconds ("PT90M" and "PT1H30M" alike); nullopt otherwise.
std::optional<std::string> CanonicalDuration(std::string_view v) {
  size_t i = 0;
  bool negative = false;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) negative = v[i++] == '-';
  if (i >= v.size() || (v[i] != 'P' && v[i] != 'p')) return std::nullopt;
  ++i;
  long long days = 0, seconds = 0;
  bool time = false, any = false;
  while (i < v.size()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(v[i])));
    if (c == 'T' && !time) {
      time = true;
      ++i;
      continue;
    }
    long long n = 0;
    size_t digits = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) && digits < 12) {
      n = n * 10 + (v[i++] - '0');
      ++digits;
    }
    if (digits == 0 || i >= v.size()) return std::nullopt;
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(v[i++])));
    if (!time && unit == 'W') {
      days += 7 * n;
    } else if (!time && unit == 'D') {
      days += n;
    } else if (time && unit == 'H') {
      seconds += 3600 * n;
    } else if (time && unit == 'M') {
      seconds += 60 * n;
    } else if (time && unit == 'S') {
      seconds += n;
    } else {
      return std::nullopt;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  if (days == 0 && seconds == 0) negative = false;
  return std::string(negative ? "-" : "") + "P" + std::to_string(days) + "DT" + std::to_string(seconds) + "S";
}

// A date or date-time of a vCard (BDAY, ANNIVERSARY, DEATHDATE) in its basic
// form: "1980-01-01" and "19800101" alike, "--04-12" and "--0412" alike.
std::string BasicDate(std::string_view v) {
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != ':' && c != 'T' && c != 'Z' &&
        c != '+') {
      return std::string(v);  // text ("VALUE=text") or another form: as it is
    }
  }
  std::string out;
  size_t i = 0;
  while (i < v.size() && v[i] == '-' && i < 2) out.push_back(v[i++]);  // "--MMDD": no year
  bool in_time = false;
  for (; i < v.size(); ++i) {
    if (v[i] == 'T') in_time = true;
    if (v[i] == ':' || (v[i] == '-' && !in_time)) continue;
    out.push_back(v[i]);
  }
  return out;
}

bool IsStructured(std::string_view base) { return base == "N" || base == "ADR" || base == "ORG" || base == "GENDER"; }

// One content line in canonical form, or "" for a line to ignore.
std::string CanonicalLine(std::string_view line, bool ignore_stamps) {
  size_t colon = std::string_view::npos;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == ':' && !quoted) {
      colon = i;
      break;
    }
  }
  const std::string_view head = colon == std::string_view::npos ? line : line.substr(0, colon);
  std::string value(colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1));
  std::vector<std::string_view> parts = SplitOutsideQuotes(head, ';');
  const std::string name = Upper(parts[0]);
  // A group prefix ("item1.TEL") stays part of the name.
  const std::string base = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
  if (base == "PRODID" || base == "REV") return "";
  if (ignore_stamps && (base == "DTSTAMP" || base == "CREATED" || base == "LAST-MODIFIED")) return "";
  // Parameter name -> its values: "TYPE=a,b", "TYPE=a;TYPE=b" and the bare
  // vCard 2.1 "a;b" alike; quotes dropped; token values upper-cased.
  std::map<std::string, std::set<std::string>> params;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    const size_t eq = p.find('=');
    std::string param = eq == std::string_view::npos ? NameOfBareParameter(Upper(p)) : Upper(p.substr(0, eq));
    const std::string_view values = eq == std::string_view::npos ? p : p.substr(eq + 1);
    std::set<std::string>& into = params[param];
    for (std::string_view one : SplitOutsideQuotes(values, ',')) {
      std::string v(one);
      v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
      into.insert(TokenParameter(param) ? Upper(v) : v);
    }
  }
  auto encoding = params.find("ENCODING");
  if (encoding != params.end() && encoding->second == std::set<std::string>{"QUOTED-PRINTABLE"}) {
    // A transfer encoding: the text it carries is compared, in UTF-8.
    std::optional<std::string> decoded = DecodeQuotedPrintable(value);
    auto charset = params.find("CHARSET");
    const std::string cs = charset == params.end() || charset->second.size() != 1 ? "" : *charset->second.begin();
    if (decoded && (cs.empty() || cs == "UTF-8" || cs == "ISO-8859-1")) {
      value = cs == "ISO-8859-1" ? Latin1ToUtf8(*decoded) : std::move(*decoded);
      params.erase(encoding);
      if (charset != params.end()) params.erase(charset);
    }
  } else if (encoding != params.end() &&
             (encoding->second == std::set<std::string>{"B"} || encoding->second == std::set<std::string>{"BASE64"})) {
    // Base64 is folded anyhow: its whitespace is no data.
    encoding->second = {"B"};
    value.erase(std::remove_if(value.begin(), value.end(), [](char c) { return c == ' ' || c == '\t'; }),
                value.end());
  }
  // UTF-8 is what the bytes are (the only charset of vCard 3.0 and 4.0 and
  // of iCalendar): saying so adds nothing. Another label stays.
  auto charset = params.find("CHARSET");
  if (charset != params.end() && charset->second == std::set<std::string>{"UTF-8"}) params.erase(charset);
  std::string out = name;
  for (const auto& [param, values] : params) {
    out += ";" + param + "=";
    bool first = true;
    for (const std::string& v : values) {
      out += (first ? "" : ",") + v;
      first = false;
    }
  }
  out += ":";
  if (base == "RRULE" || base == "EXRULE") {
    std::vector<std::string> rule;
    for (std::string_view r : SplitOutsideQuotes(value, ';')) rule.push_back(Upper(r));
    std::sort(rule.begin(), rule.end());
    for (size_t i = 0; i < rule.size(); ++i) out += (i ? ";" : "") + rule[i];
  } else if (base == "DURATION" || base == "TRIGGER" || base == "REFRESH-INTERVAL") {
    std::optional<std::string> duration = CanonicalDuration(value);
    out += duration ? *duration : UnescapeValue(value);
  } else if (base == "BDAY" || base == "ANNIVERSARY" || base == "DEATHDATE") {
    out += BasicDate(value);
  } else if (IsStructured(base)) {
    out += CanonicalStructured(value);
  } else {
    out += UnescapeValue(value);
  }
  return out;
}

struct Component {
  std::string name;
  std::vector<std::string> members;  // canonical lines and sub-components
};

std::string Close(Component& c) {
  std::sort(c.members.begin(), c.members.end());
  std::string out = "BEGIN:" + c.name + "\n";
  for (const std::string& m : c.members) out += m + "\n";
  return out + "END:" + c.name;
}

std::string Canonical(std::string_view text, bool ignore_stamps) {
  std::vector<Component> stack;
  Component top;  // what lies outside any BEGIN
  for (const std::string& raw : UnfoldedLines(text)) {
    const std::string line = CanonicalLine(raw, ignore_stamps);
    if (line.empty()) continue;
    if (line.rfind("BEGIN:", 0) == 0) {
      stack.push_back(Component{Upper(line.substr(6)), {}});
      continue;
    }
    if (line.rfind("END:", 0) == 0 && !stack.empty()) {
      std::string closed = Close(stack.back());
      stack.pop_back();
      (stack.empty() ? top : stack.back()).members.push_back(std::move(closed));
      continue;
    }
    (stack.empty() ? top : stack.back()).members.push_back(line);
  }
  // An object cut short: its open components, as they are (they differ from
  // a whole one).
  while (!stack.empty()) {
    std::string open = "UNTERMINATED " + Close(stack.back());
    stack.pop_back();
    (stack.empty() ? top : stack.back()).members.push_back(std::move(open));
  }
  std::sort(top.members.begin(), top.members.end());
  std::string out;
  for (const std::string& m : top.members) out += m + "\n";
  return out;
}

}  // namespace

std::string CanonicalCard(std::string_view text) { return Canonical(text, false); }

bool SameCard(std::string_view a, std::string_view b) { return CanonicalCard(a) == CanonicalCard(b); }

bool SameItemContent(std::string_view a, std::string_view b) { return Canonical(a, true) == Canonical(b, true); }

std::string FirstDifference(std::string_view sent, std::string_view stored) {
  const std::string a = CanonicalCard(sent);
  const std::string b = CanonicalCard(stored);
  if (a == b) return "";
  auto lines = [](const std::string& text) {
    std::multiset<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
      size_t end = text.find('\n', i);
      if (end == std::string::npos) end = text.size();
      out.insert(text.substr(i, end - i));
      i = end + 1;
    }
    return out;
  };
  const std::multiset<std::string> la = lines(a);
  const std::multiset<std::string> lb = lines(b);
  std::vector<std::string> only;  // in one and not the other, as often as it is
  std::set_symmetric_difference(la.begin(), la.end(), lb.begin(), lb.end(), std::back_inserter(only));
  std::string component;
  for (const std::string& line : only) {
    const std::string_view name = std::string_view(line).substr(0, line.find_first_of(";:"));
    if (name == "BEGIN" || name == "END" || name.rfind("UNTERMINATED", 0) == 0) {
      if (component.empty()) component = line.rfind("UNTERMINATED", 0) == 0 ? "an unterminated component" : line;
      continue;
    }
    return std::string(name);
  }
  return component.empty() ? "the content" : component;
}

}  // namespace holdfast::platform::dav
