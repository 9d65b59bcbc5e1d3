#include "platform/pim/content_line.h"

#include <iconv.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace holdfast::platform {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

char ToUpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool IsUtf8Name(std::string_view charset) {
  return EqualsIgnoreCase(charset, "UTF-8") || EqualsIgnoreCase(charset, "UTF8");
}

// A charset name safe to hand to iconv_open: letters, digits and ._:- only,
// so that "//IGNORE"-style suffixes and paths never reach it.
bool IsPlainCharsetName(std::string_view charset) {
  if (charset.empty() || charset.size() > 40) return false;
  for (char c : charset) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Charsets in which ASCII text means itself (so it needs no iconv). Not
// ISO-2022-*, UTF-7 or HZ, whose plain-ASCII bytes can be shift sequences.
bool IsAsciiSuperset(std::string_view charset) {
  return StartsWithIgnoreCase(charset, "ISO-8859-") ||
         StartsWithIgnoreCase(charset, "WINDOWS-125") || StartsWithIgnoreCase(charset, "CP125") ||
         EqualsIgnoreCase(charset, "US-ASCII") || EqualsIgnoreCase(charset, "ASCII");
}

// iconv from `charset` to UTF-8; bytes it cannot convert become U+FFFD.
// False when iconv does not know the charset.
bool IconvToUtf8(std::string_view bytes, const std::string& charset, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out->assign(bytes.size() * 2 + 16, '\0');
  size_t used = 0;
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write
  size_t in_left = bytes.size();
  auto make_room = [&](size_t needed) {
    if (out->size() - used < needed) out->resize(out->size() * 2 + needed);
  };
  bool flushing = false;
  while (true) {
    make_room(16);
    char* out_ptr = out->data() + used;
    size_t out_left = out->size() - used;
    size_t rc = flushing ? iconv(cd, nullptr, nullptr, &out_ptr, &out_left)
                         : iconv(cd, &in, &in_left, &out_ptr, &out_left);
    int err = errno;
    used = static_cast<size_t>(out_ptr - out->data());
    if (rc != static_cast<size_t>(-1)) {
      if (flushing) break;
      flushing = true;  // all input taken; let a stateful charset close its state
      continue;
    }
    if (err == E2BIG) {
      out->resize(out->size() * 2);
    } else if ((err == EILSEQ || err == EINVAL) && in_left > 0 && !flushing) {
      make_room(kReplacementChar.size());
      out->replace(used, kReplacementChar.size(), kReplacementChar);
      used += kReplacementChar.size();
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
    } else {
      break;
    }
  }
  iconv_close(cd);
  out->resize(used);
  return true;
}

// Bytes as windows-1252 (which maps every byte iconv accepts; five holes
// become U+FFFD).
std::string FromWindows1252(std::string_view bytes) {
  std::string out;
  if (IconvToUtf8(bytes, "WINDOWS-1252", &out) && IsValidUtf8(out)) return out;
  // No gconv module for it on this system: ISO-8859-1 needs no table.
  out.clear();
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

}  // namespace

const char* PimKindName(PimKind kind) {
  switch (kind) {
    case PimKind::kContact:
      return "contact";
    case PimKind::kEvent:
      return "event";
    case PimKind::kTask:
      return "task";
    case PimKind::kNote:
      return "note";
  }
  return "unknown";
}

Status BlockStack::Begin(std::string_view name, int line, std::string_view path) {
  if (open_.size() >= static_cast<size_t>(kMaxNestingDepth)) {
    return MalformedInput(path, line,
                          "BEGIN blocks are nested more than " + std::to_string(kMaxNestingDepth) + " deep");
  }
  open_.push_back({std::string(name), line});
  return Status::Ok();
}

Status BlockStack::End(std::string_view name, int line, std::string_view path) {
  if (open_.empty()) return MalformedInput(path, line, "END:" + std::string(name) + " without a BEGIN");
  if (!EqualsIgnoreCase(name, open_.back().name)) {
    return MalformedInput(path, line,
                          "END:" + std::string(name) + " does not match BEGIN:" + open_.back().name +
                              " at line " + std::to_string(open_.back().line));
  }
  open_.pop_back();
  return Status::Ok();
}

Status BlockStack::CheckAllClosed(std::string_view path) const {
  if (open_.empty()) return Status::Ok();
  return MalformedInput(path, open_.back().line,
                        "BEGIN:" + open_.back().name + " has no END:" + open_.back().name +
                            " (the file may be cut short)");
}

Status MalformedInput(std::string_view path, int line, std::string_view reason) {
  std::string message;
  message.reserve(path.size() + reason.size() + 16);
  message.append(path).append(":").append(std::to_string(line)).append(": ").append(reason);
  return Status(ErrorCode::kMalformedInput, std::move(message));
}

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  bool cut = false;
  if (text.size() > kMaxShown) {
    size_t end = kMaxShown;
    // Back off to the start of a UTF-8 character (at most 3 continuation bytes).
    for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80;
         ++i) {
      --end;
    }
    text = text.substr(0, end);
    cut = true;
  }
  bool valid = IsValidUtf8(text);
  std::string out = "\"";
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F || (b >= 0x80 && !valid)) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  if (cut) out.append("...");
  out.push_back('"');
  return out;
}

size_t Utf8BomLength(std::string_view bytes) {
  return bytes.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

int LineNumberAt(std::string_view bytes, size_t offset) {
  int line = 1;
  size_t end = offset < bytes.size() ? offset : bytes.size();
  for (size_t i = 0; i < end; ++i) {
    if (bytes[i] == '\n') {
      ++line;
    } else if (bytes[i] == '\r' && (i + 1 >= bytes.size() || bytes[i + 1] != '\n')) {
      ++line;
    }
  }
  return line;
}

Status CheckTextBytes(std::string_view bytes, std::string_view path, size_t max_size_bytes) {
  if (bytes.size() > max_size_bytes) {
    return Status(ErrorCode::kMalformedInput,
                  std::string(path) + ": file is " + std::to_string(bytes.size()) +
                      " bytes, more than the " + std::to_string(max_size_bytes) +
                      " bytes a vCard or iCalendar file may have");
  }
  std::string_view start = bytes.substr(0, 4);
  bool utf16_bom = start.substr(0, 2) == "\xFF\xFE" || start.substr(0, 2) == "\xFE\xFF";
  bool padded_ascii = start.size() == 4 && ((start[0] == '\0') != (start[1] == '\0')) &&
                      ((start[2] == '\0') != (start[3] == '\0'));
  bool utf32_bom = start == std::string_view("\x00\x00\xFE\xFF", 4);
  if (utf16_bom || utf32_bom || padded_ascii) {
    return MalformedInput(path, 1,
                          "file is in UTF-16 or UTF-32; only UTF-8 (or a vCard 2.1 8-bit "
                          "charset) can be read: save it as UTF-8 and try again");
  }
  const void* nul = std::memchr(bytes.data(), '\0', bytes.size());
  if (nul != nullptr) {
    size_t offset = static_cast<size_t>(static_cast<const char*>(nul) - bytes.data());
    return MalformedInput(path, LineNumberAt(bytes, offset),
                          "file holds binary data (a NUL byte), not vCard or iCalendar text");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------

ContentLineReader::ContentLineReader(std::string_view bytes, std::string_view path,
                                     bool qp_soft_breaks)
    : bytes_(bytes),
      path_(path),
      qp_soft_breaks_(qp_soft_breaks),
      pos_(Utf8BomLength(bytes)),
      next_lf_(std::string_view::npos) {}

void ContentLineReader::PhysicalLine(size_t pos, size_t* content_end, size_t* next) {
  // next_lf_ is cached so that a file using lone CRs (no LF at all) is not
  // scanned to its end once per line.
  if (next_lf_ == std::string_view::npos || next_lf_ < pos) {
    const void* lf = std::memchr(bytes_.data() + pos, '\n', bytes_.size() - pos);
    next_lf_ =
        lf ? static_cast<size_t>(static_cast<const char*>(lf) - bytes_.data()) : bytes_.size();
  }
  const void* cr = std::memchr(bytes_.data() + pos, '\r', next_lf_ - pos);
  if (cr != nullptr) {
    size_t cr_at = static_cast<size_t>(static_cast<const char*>(cr) - bytes_.data());
    *content_end = cr_at;
    *next = (cr_at + 1 == next_lf_ && next_lf_ < bytes_.size()) ? next_lf_ + 1 : cr_at + 1;
  } else if (next_lf_ < bytes_.size()) {
    *content_end = next_lf_;
    *next = next_lf_ + 1;
  } else {
    *content_end = bytes_.size();
    *next = bytes_.size();
  }
}

bool ContentLineReader::Append(std::string_view* text, bool* in_buffer, size_t from, size_t to,
                               int line_number) {
  size_t added = to - from;
  if (text->size() + added > kMaxContentLineBytes) {
    status_ = MalformedInput(path_, line_number,
                             "line is longer than 16 MiB (with its folded continuation lines); "
                             "this is not a vCard or iCalendar file, or it is damaged");
    return false;
  }
  if (!*in_buffer) {
    buffer_.assign(text->data(), text->size());
    *in_buffer = true;
  }
  buffer_.append(bytes_.data() + from, added);
  *text = buffer_;
  return true;
}

bool ContentLineReader::Next(ContentLine* line) {
  if (!status_.ok() || pos_ >= bytes_.size()) return false;
  const size_t begin = pos_;
  const int first_line = next_line_number_;
  size_t content_end = 0;
  size_t next = 0;
  PhysicalLine(pos_, &content_end, &next);
  std::string_view text = bytes_.substr(begin, content_end - begin);
  bool in_buffer = false;
  if (text.size() > kMaxContentLineBytes) return Append(&text, &in_buffer, 0, 0, first_line);
  pos_ = next;
  ++next_line_number_;
  int qp_line = -1;  // unknown until a soft break is possible; then 0 or 1
  while (pos_ < bytes_.size()) {
    // A soft break wins over folding: after "=" + line ending, a leading
    // space on the next line is part of the QUOTED-PRINTABLE text.
    if (qp_soft_breaks_ && !text.empty() && text.back() == '=') {
      if (qp_line < 0) {
        ContentLineParts parts;
        qp_line = SplitContentLine(text, &parts) && IsQuotedPrintable(parts.params) ? 1 : 0;
      }
      std::string_view rest = bytes_.substr(pos_, 8);
      if (qp_line == 1 && !StartsWithIgnoreCase(rest, "END:") &&
          !StartsWithIgnoreCase(rest, "BEGIN:")) {
        PhysicalLine(pos_, &content_end, &next);
        if (!in_buffer) {
          buffer_.assign(text.data(), text.size());
          in_buffer = true;
        }
        buffer_.pop_back();  // the soft break's '='
        text = buffer_;
        if (!Append(&text, &in_buffer, pos_, content_end, next_line_number_)) return false;
        pos_ = next;
        ++next_line_number_;
        continue;
      }
    }
    if (bytes_[pos_] != ' ' && bytes_[pos_] != '\t') break;
    PhysicalLine(pos_, &content_end, &next);
    if (!Append(&text, &in_buffer, pos_ + 1, content_end, next_line_number_)) return false;
    pos_ = next;
    ++next_line_number_;
  }
  line->text = text;
  line->begin_offset = begin;
  line->end_offset = pos_;
  line->line_number = first_line;
  return true;
}

// ---------------------------------------------------------------------------

bool SplitContentLine(std::string_view text, ContentLineParts* parts) {
  size_t name_end = text.find_first_of(";:");
  if (name_end == std::string_view::npos) return false;
  size_t colon = name_end;
  if (text[name_end] == ';') {
    bool quoted = false;
    colon = std::string_view::npos;
    for (size_t i = name_end + 1; i < text.size(); ++i) {
      if (text[i] == '"') {
        quoted = !quoted;
      } else if (text[i] == ':' && !quoted) {
        colon = i;
        break;
      }
    }
    if (colon == std::string_view::npos) colon = text.find(':', name_end + 1);
    if (colon == std::string_view::npos) return false;
    parts->params = text.substr(name_end + 1, colon - name_end - 1);
  } else {
    parts->params = {};
  }
  std::string_view full_name = TrimWhitespace(text.substr(0, name_end));
  size_t dot = full_name.rfind('.');
  if (dot == std::string_view::npos) {
    parts->group = {};
    parts->name = full_name;
  } else {
    parts->group = full_name.substr(0, dot);
    parts->name = full_name.substr(dot + 1);
  }
  parts->value = text.substr(colon + 1);
  return !parts->name.empty();
}

bool ParamCursor::Next(ContentLineParam* param) {
  if (done_) return false;
  bool quoted = false;
  size_t end = rest_.size();
  for (size_t i = 0; i < rest_.size(); ++i) {
    if (rest_[i] == '"') {
      quoted = !quoted;
    } else if (rest_[i] == ';' && !quoted) {
      end = i;
      break;
    }
  }
  std::string_view piece = rest_.substr(0, end);
  if (end < rest_.size()) {
    rest_.remove_prefix(end + 1);
  } else {
    done_ = true;
  }
  size_t eq = piece.find('=');
  if (eq == std::string_view::npos) {
    param->name = {};
    param->value = TrimWhitespace(piece);
  } else {
    param->name = TrimWhitespace(piece.substr(0, eq));
    param->value = TrimWhitespace(piece.substr(eq + 1));
  }
  if (param->value.size() >= 2 && param->value.front() == '"' && param->value.back() == '"') {
    param->value = param->value.substr(1, param->value.size() - 2);
  }
  return true;
}

bool IsQuotedPrintable(std::string_view params) {
  ParamCursor cursor(params);
  ContentLineParam param;
  while (cursor.Next(&param)) {
    if ((param.name.empty() || EqualsIgnoreCase(param.name, "ENCODING")) &&
        EqualsIgnoreCase(param.value, "QUOTED-PRINTABLE")) {
      return true;
    }
  }
  return false;
}

std::string_view CharsetParam(std::string_view params) {
  ParamCursor cursor(params);
  ContentLineParam param;
  while (cursor.Next(&param)) {
    if (EqualsIgnoreCase(param.name, "CHARSET")) return param.value;
  }
  return {};
}

// ---------------------------------------------------------------------------

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToUpperAscii(a[i]) != ToUpperAscii(b[i])) return false;
  }
  return true;
}

std::string_view TrimWhitespace(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::string DecodeQuotedPrintable(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    if (i + 2 < value.size() && HexValue(value[i + 1]) >= 0 && HexValue(value[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(value[i + 1]) * 16 + HexValue(value[i + 2])));
      i += 2;
    } else if (i + 1 < value.size() && (value[i + 1] == '\r' || value[i + 1] == '\n')) {
      ++i;
      if (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n') ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeText(std::string_view value) {
  if (value.find('\\') == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c != '\\' || i + 1 == value.size()) {
      out.push_back(c);
      continue;
    }
    char next = value[i + 1];
    if (next == 'n' || next == 'N') {
      out.push_back('\n');
      ++i;
    } else if (next == '\\' || next == ',' || next == ';' || next == ':') {
      out.push_back(next);
      ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<std::string_view> SplitStructured(std::string_view value, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\') {
      ++i;  // the escaped character never separates
    } else if (value[i] == separator) {
      pieces.push_back(value.substr(start, i - start));
      start = i + 1;
    }
  }
  pieces.push_back(value.substr(start < value.size() ? start : value.size()));
  return pieces;
}

std::string ToUtf8(std::string_view bytes, std::string_view charset) {
  charset = TrimWhitespace(charset);
  if (charset.empty() || IsUtf8Name(charset) || !IsPlainCharsetName(charset)) {
    if (IsValidUtf8(bytes)) return std::string(bytes);
    return FromWindows1252(bytes);
  }
  if (IsAscii(bytes) && IsAsciiSuperset(charset)) return std::string(bytes);
  std::string out;
  if (IconvToUtf8(bytes, std::string(charset), &out) && IsValidUtf8(out)) return out;
  if (IsValidUtf8(bytes)) return std::string(bytes);
  return FromWindows1252(bytes);
}

std::string DecodeValue(const ContentLineParts& parts) {
  std::string_view charset = CharsetParam(parts.params);
  if (IsQuotedPrintable(parts.params)) {
    return ToUtf8(DecodeQuotedPrintable(parts.value), charset);
  }
  return ToUtf8(parts.value, charset);
}

size_t FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time: the common case in address books.
    if (i + 8 <= n) {
      uint64_t chunk;
      std::memcpy(&chunk, s + i, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) low = 0xA0;   // no overlong forms
      if (c == 0xED) high = 0x9F;  // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) low = 0x90;   // no overlong forms
      if (c == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;
    }
    if (i + extra >= n) return i;  // cut short by the end of the text
    if (s[i + 1] < low || s[i + 1] > high) return i;
    for (size_t k = 2; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
    }
    i += extra + 1;
  }
  return std::string_view::npos;
}

bool IsBlankLine(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\f' && c != '\x1A') return false;
  }
  return true;
}

}  // namespace holdfast::platform
