#include "platform/dav/request_body.h"

#include <cstdint>

namespace holdfast::platform::dav {
namespace {

constexpr std::string_view kXmlDecl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
// Every body declares the four namespaces it may use on its root.
constexpr std::string_view kNsDecls =
    " xmlns:d=\"DAV:\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\""
    " xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\"";

Status Refuse(std::string_view what, size_t offset) {
  return Status(ErrorCode::kInvalidArgument,
                "XML request body: " + std::string(what) + " at byte " + std::to_string(offset) + " of a value");
}

// Length of the UTF-8 sequence starting at text[i] that XML 1.0 accepts, or 0.
size_t XmlCharLength(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;  // overlong, too large
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;        // surrogates, non-characters
  return n;
}

bool IsXmlName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool more = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!alpha && (i == 0 || !more)) return false;
  }
  return true;
}

// Appends "<d:getetag/>" style elements for `props` to `out`.
Status AppendProps(std::span<const PropName> props, std::string* out) {
  struct Prefix {
    std::string_view ns;
    std::string_view prefix;
  };
  static constexpr Prefix kPrefixes[] = {
      {kDavNs, "d"}, {kCardDavNs, "card"}, {kCalDavNs, "cal"}, {kCalendarServerNs, "cs"}};
  out->append("<d:prop>");
  for (const PropName& p : props) {
    if (!IsXmlName(p.local)) {
      return Status(ErrorCode::kInvalidArgument, "XML request body: '" + std::string(p.local.substr(0, 64)) +
                                                     "' is not an XML name");
    }
    std::string_view prefix;
    for (const Prefix& k : kPrefixes) {
      if (k.ns == p.ns) prefix = k.prefix;
    }
    if (!prefix.empty()) {
      out->append("<").append(prefix).append(":").append(p.local).append("/>");
    } else {
      Result<std::string> ns = EscapeXml(p.ns);
      if (!ns) return ns.error();
      out->append("<x:").append(p.local).append(" xmlns:x=\"").append(*ns).append("\"/>");
    }
  }
  out->append("</d:prop>");
  return Status::Ok();
}

Status AppendElement(std::string_view tag, std::string_view text, std::string* out) {
  Result<std::string> escaped = EscapeXml(text);
  if (!escaped) return escaped.error();
  out->append("<").append(tag).append(">").append(*escaped).append("</").append(tag).append(">");
  return Status::Ok();
}

Result<std::string> MultigetBody(std::string_view root, std::span<const PropName> props,
                                 std::span<const std::string> hrefs) {
  if (hrefs.empty()) return Status(ErrorCode::kInvalidArgument, "XML request body: a multiget without an href");
  std::string out(kXmlDecl);
  out.append("<").append(root).append(kNsDecls).append(">");
  HF_RETURN_IF_ERROR(AppendProps(props, &out));
  for (const std::string& href : hrefs) HF_RETURN_IF_ERROR(AppendElement("d:href", href, &out));
  out.append("</").append(root).append(">\n");
  return out;
}

}  // namespace

Result<std::string> EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = XmlCharLength(text, i);
    if (n == 0) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      return Refuse(c < 0x20 ? "a control byte XML cannot carry" : "invalid UTF-8 or a non-character", i);
    }
    if (n == 1) {
      switch (text[i]) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '"': out.append("&quot;"); break;
        case '\t': out.append("&#9;"); break;
        case '\n': out.append("&#10;"); break;
        case '\r': out.append("&#13;"); break;
        default: out.push_back(text[i]);
      }
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

Result<std::string> PropfindBody(std::span<const PropName> props) {
  std::string out(kXmlDecl);
  out.append("<d:propfind").append(kNsDecls).append(">");
  if (props.empty()) {
    out.append("<d:allprop/>");
  } else {
    HF_RETURN_IF_ERROR(AppendProps(props, &out));
  }
  out.append("</d:propfind>\n");
  return out;
}

Result<std::string> AddressbookMultigetBody(std::span<const PropName> props, std::span<const std::string> hrefs) {
  return MultigetBody("card:addressbook-multiget", props, hrefs);
}

Result<std::string> CalendarMultigetBody(std::span<const PropName> props, std::span<const std::string> hrefs) {
  return MultigetBody("cal:calendar-multiget", props, hrefs);
}

Result<std::string> SyncCollectionBody(std::string_view sync_token, std::span<const PropName> props) {
  std::string out(kXmlDecl);
  out.append("<d:sync-collection").append(kNsDecls).append(">");
  if (sync_token.empty()) {
    out.append("<d:sync-token/>");
  } else {
    HF_RETURN_IF_ERROR(AppendElement("d:sync-token", sync_token, &out));
  }
  out.append("<d:sync-level>1</d:sync-level>");
  HF_RETURN_IF_ERROR(AppendProps(props, &out));
  out.append("</d:sync-collection>\n");
  return out;
}

Result<std::string> MkcalendarBody(std::optional<std::string_view> display_name,
                                   std::span<const std::string> components) {
  if (!display_name && components.empty()) return std::string();
  std::string out(kXmlDecl);
  out.append("<cal:mkcalendar").append(kNsDecls).append("><d:set><d:prop>");
  if (display_name) HF_RETURN_IF_ERROR(AppendElement("d:displayname", *display_name, &out));
  if (!components.empty()) {
    out.append("<cal:supported-calendar-component-set>");
    for (const std::string& comp : components) {
      std::string upper;
      for (char c : comp) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
          return Status(ErrorCode::kInvalidArgument,
                        "MKCALENDAR: component name '" + comp.substr(0, 32) + "' is not letters, digits and '-'");
        }
        upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
      }
      if (upper.empty()) return Status(ErrorCode::kInvalidArgument, "MKCALENDAR: an empty component name");
      out.append("<cal:comp name=\"").append(upper).append("\"/>");
    }
    out.append("</cal:supported-calendar-component-set>");
  }
  out.append("</d:prop></d:set></cal:mkcalendar>\n");
  return out;
}

Result<std::string> MkcolAddressbookBody(std::optional<std::string_view> display_name) {
  std::string out(kXmlDecl);
  out.append("<d:mkcol").append(kNsDecls).append("><d:set><d:prop>");
  out.append("<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>");
  if (display_name) HF_RETURN_IF_ERROR(AppendElement("d:displayname", *display_name, &out));
  out.append("</d:prop></d:set></d:mkcol>\n");
  return out;
}

}  // namespace holdfast::platform::dav
