#include "platform/dav/content_compare.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace holdfast::platform::dav {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Content lines with folding undone and line ends dropped.
std::vector<std::string> UnfoldedLines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  bool have = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(i, end - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    i = end + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && have) {
      current.append(line.substr(1));
      continue;
    }
    if (have && !current.empty()) lines.push_back(std::move(current));
    current.assign(line);
    have = true;
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

// A duration value (RFC 5545 3.3.6: [+|-]P then weeks, or days and a time
// of hours, minutes and seconds) as its sign and length in seconds: both
// measured servers parse TRIGGER and DURATION into a time span and write it
// back in their own units ("-PT60M" comes back as "-PT1H"). Text that is not
// a duration (a TRIGGER;VALUE=DATE-TIME) stays as it is.
std::string CanonicalDuration(std::string_view v) {
  size_t i = 0;
  bool negative = false;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) negative = v[i++] == '-';
  if (i >= v.size() || (v[i] != 'P' && v[i] != 'p')) return std::string(v);
  ++i;
  long long seconds = 0;
  bool in_time = false;
  bool any = false;
  while (i < v.size()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(v[i])));
    if (c == 'T' && !in_time) {
      in_time = true;
      ++i;
      continue;
    }
    long long n = 0;
    size_t digits = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])) && digits < 9) {
      n = n * 10 + (v[i++] - '0');
      ++digits;
    }
    if (digits == 0 || i >= v.size()) return std::string(v);
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(v[i++])));
    long long scale = 0;
    if (!in_time && unit == 'W') scale = 7 * 86400;
    if (!in_time && unit == 'D') scale = 86400;
    if (in_time && unit == 'H') scale = 3600;
    if (in_time && unit == 'M') scale = 60;
    if (in_time && unit == 'S') scale = 1;
    if (scale == 0) return std::string(v);
    seconds += n * scale;
    any = true;
  }
  if (!any) return std::string(v);
  return std::string(negative && seconds != 0 ? "-" : "") + "PT" + std::to_string(seconds) + "S";
}

// One content line in canonical form, or "" for a line to ignore.
std::string CanonicalLine(std::string_view line) {
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
  const std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  std::vector<std::string_view> parts = SplitOutsideQuotes(head, ';');
  const std::string name = Upper(parts[0]);
  // A group prefix ("item1.TEL") stays part of the name.
  const std::string base = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
  if (base == "PRODID" || base == "REV") return "";
  std::vector<std::string> params;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    const size_t eq = p.find('=');
    std::string param = Upper(p.substr(0, eq));
    if (eq != std::string_view::npos) {
      std::string v(p.substr(eq + 1));
      v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
      param += "=" + v;
    }
    params.push_back(std::move(param));
  }
  std::sort(params.begin(), params.end());
  std::string out = name;
  for (const std::string& p : params) out += ";" + p;
  out += ":";
  if (base == "RRULE" || base == "EXRULE") {
    std::vector<std::string> rule;
    for (std::string_view r : SplitOutsideQuotes(value, ';')) rule.push_back(Upper(r));
    std::sort(rule.begin(), rule.end());
    for (size_t i = 0; i < rule.size(); ++i) out += (i ? ";" : "") + rule[i];
  } else if (base == "TRIGGER" || base == "DURATION" || base == "REFRESH-INTERVAL") {
    out += CanonicalDuration(value);
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

}  // namespace

std::string CanonicalCard(std::string_view text) {
  std::vector<Component> stack;
  Component top;  // what lies outside any BEGIN
  for (const std::string& raw : UnfoldedLines(text)) {
    const std::string line = CanonicalLine(raw);
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

bool SameCard(std::string_view a, std::string_view b) { return CanonicalCard(a) == CanonicalCard(b); }

}  // namespace holdfast::platform::dav
