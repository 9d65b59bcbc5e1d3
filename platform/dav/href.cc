#include "platform/dav/href.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace holdfast::platform::dav {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void AppendEscaped(unsigned char c, std::string* out) {
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xF]);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// An href or URL cut into its RFC 3986 parts (the fragment dropped).
struct Parts {
  std::optional<std::string> scheme;     // lower-cased
  std::optional<std::string> authority;  // as sent
  std::string path;
  std::optional<std::string> query;
};

Parts Split(std::string_view text) {
  Parts p;
  text = text.substr(0, text.find('#'));
  const size_t colon = text.find(':');
  if (colon != std::string_view::npos && colon > 0 && colon < text.find_first_of("/?")) {
    bool scheme_chars = (text[0] >= 'A' && text[0] <= 'Z') || (text[0] >= 'a' && text[0] <= 'z');
    for (size_t i = 1; i < colon && scheme_chars; ++i) {
      const char c = text[i];
      scheme_chars = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    }
    if (scheme_chars) {
      p.scheme = Lower(text.substr(0, colon));
      text.remove_prefix(colon + 1);
    }
  }
  if (text.substr(0, 2) == "//") {
    text.remove_prefix(2);
    const size_t end = std::min(text.find_first_of("/?"), text.size());
    p.authority = std::string(text.substr(0, end));
    text.remove_prefix(end);
  }
  const size_t q = text.find('?');
  p.path = std::string(text.substr(0, q));
  if (q != std::string_view::npos) p.query = std::string(text.substr(q + 1));
  return p;
}

// RFC 3986 section 5.2.4.
std::string RemoveDotSegments(std::string_view in) {
  std::vector<std::string_view> out;
  const bool absolute = !in.empty() && in.front() == '/';
  if (absolute) in.remove_prefix(1);
  bool trailing = false;
  while (true) {
    const size_t slash = in.find('/');
    const std::string_view seg = in.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = last;
    } else {
      out.push_back(seg);
      trailing = false;
    }
    if (last) break;
    in.remove_prefix(slash + 1);
  }
  std::string result = absolute ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result.push_back('/');
    result.append(out[i]);
  }
  if (trailing && !out.empty()) result.push_back('/');
  return result;
}

// Encodes the bytes a URL cannot hold literally; valid escapes stay.
std::string EncodeUnsafe(std::string_view text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back('%');
      continue;
    }
    const bool safe = IsUnreserved(c) || std::string_view("!$&'()*+,;=:@/").find(static_cast<char>(c)) !=
                                             std::string_view::npos || (query && c == '?');
    if (safe && c != 0) {
      out.push_back(static_cast<char>(c));
    } else {
      AppendEscaped(c, &out);
    }
  }
  return out;
}

// "host:port" lower-cased, without user info or a default port.
std::string NormalAuthority(std::string_view scheme, std::string_view authority) {
  std::string a = Lower(authority.substr(authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1));
  const std::string_view default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!default_port.empty() && a.size() > default_port.size() &&
      a.compare(a.size() - default_port.size(), default_port.size(), default_port) == 0) {
    a.resize(a.size() - default_port.size());
  }
  return a;
}

std::vector<std::string> PathSegments(std::string_view path) {
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string> out;
  if (path.empty()) return out;
  while (true) {
    const size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    Result<std::string> decoded = PercentDecode(seg);
    // A segment that does not decode is kept as sent, marked so that it
    // equals no decoded segment.
    out.push_back(decoded ? std::move(*decoded) : "\x01raw:" + std::string(seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string EncodePathSegment(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      AppendEscaped(c, &out);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    const int lo = hi >= 0 ? HexValue(text[i + 2]) : -1;
    if (lo < 0) {
      return Status(ErrorCode::kServerError, "href '" + std::string(text.substr(0, 256)) + "': a '%' at byte " +
                                                 std::to_string(i) + " starts no %XX escape");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Result<std::string> ResolveHref(std::string_view base_url, std::string_view href) {
  const Parts base = Split(base_url);
  if (!base.scheme || (*base.scheme != "http" && *base.scheme != "https") || !base.authority ||
      base.authority->empty()) {
    return Status(ErrorCode::kServerError, "href base '" + std::string(base_url.substr(0, 256)) +
                                               "' is not an absolute http(s) URL");
  }
  // Leading and trailing blanks are pretty-printing, not part of the href.
  const size_t b = href.find_first_not_of(" \t\r\n");
  href = b == std::string_view::npos ? std::string_view() : href.substr(b, href.find_last_not_of(" \t\r\n") - b + 1);
  const Parts ref = Split(href);
  auto refuse = [&](std::string_view why) {
    return Status(ErrorCode::kServerError, "href '" + std::string(href.substr(0, 256)) + "': " + std::string(why));
  };
  Parts target;
  if (ref.scheme) {
    if (*ref.scheme != "http" && *ref.scheme != "https") return refuse("the scheme is not http or https");
    if (!ref.authority || ref.authority->empty()) return refuse("no host");
    target = ref;
    target.path = RemoveDotSegments(ref.path);
  } else if (ref.authority) {
    if (ref.authority->empty()) return refuse("no host");
    target = ref;
    target.scheme = base.scheme;
    target.path = RemoveDotSegments(ref.path);
  } else {
    target.scheme = base.scheme;
    target.authority = base.authority;
    if (ref.path.empty()) {
      target.path = base.path;
      target.query = ref.query ? ref.query : base.query;
    } else {
      if (ref.path.front() == '/') {
        target.path = RemoveDotSegments(ref.path);
      } else {
        const std::string base_path = base.path.empty() ? "/" : base.path;
        target.path = RemoveDotSegments(base_path.substr(0, base_path.rfind('/') + 1) + ref.path);
      }
      target.query = ref.query;
    }
  }
  if (target.authority->find('@') != std::string::npos) return refuse("user info (\"...@\") is not allowed");
  if (target.path.empty()) target.path = "/";
  std::string out = *target.scheme + "://" + Lower(*target.authority) + EncodeUnsafe(target.path, false);
  if (target.query) out += "?" + EncodeUnsafe(*target.query, true);
  return out;
}

bool SameHref(std::string_view a, std::string_view b) {
  const Parts pa = Split(a);
  const Parts pb = Split(b);
  if (pa.authority && pb.authority) {
    if (pa.scheme != pb.scheme) return false;
    if (NormalAuthority(pa.scheme.value_or(""), *pa.authority) !=
        NormalAuthority(pb.scheme.value_or(""), *pb.authority)) {
      return false;
    }
  }
  return PathSegments(pa.path) == PathSegments(pb.path);
}

std::string MemberUrl(std::string_view collection_url, std::string_view name) {
  std::string out(collection_url);
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out + EncodePathSegment(name);
}

Result<std::string> HrefName(std::string_view href) {
  const Parts parts = Split(href);
  std::string_view path = parts.path;
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return PercentDecode(path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1));
}

Result<std::optional<std::vector<std::string>>> SegmentsUnder(std::string_view base_url, std::string_view href) {
  const Parts pb = Split(base_url);
  const Parts ph = Split(href);
  using Segments = std::optional<std::vector<std::string>>;
  if (pb.authority && ph.authority &&
      (pb.scheme != ph.scheme ||
       NormalAuthority(pb.scheme.value_or(""), *pb.authority) != NormalAuthority(ph.scheme.value_or(""), *ph.authority))) {
    return Segments();
  }
  const std::vector<std::string> base = PathSegments(pb.path);
  std::string_view path = ph.path;
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string> segments;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    Result<std::string> decoded = PercentDecode(path.substr(0, slash));
    if (!decoded) return decoded.error();
    segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (segments.size() < base.size() || !std::equal(base.begin(), base.end(), segments.begin())) return Segments();
  segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(base.size()));
  return Segments(std::move(segments));
}

}  // namespace holdfast::platform::dav
