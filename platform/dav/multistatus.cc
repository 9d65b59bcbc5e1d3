#include "platform/dav/multistatus.h"

#include <expat.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

namespace holdfast::platform::dav {
namespace {

// Expat joins a namespace URI and a local name with this byte, which XML 1.0
// text cannot hold, so the split is unambiguous.
constexpr char kNsSeparator = '\x01';

// The elements the parser acts on; everything else is kOther.
enum class Elem {
  kOther,
  kMultistatus, kResponse, kHref, kStatus, kPropstat, kProp, kError, kSyncToken,
  kGetEtag, kGetCtag, kDisplayName, kGetContentType, kGetContentLength, kGetLastModified, kResourceType,
  kCollection, kPrincipal, kAddressbook, kCalendar, kComponentSet, kComp,
  kCurrentUserPrincipal, kUnauthenticated, kAddressbookHomeSet, kCalendarHomeSet, kAddressData, kCalendarData,
};

struct Name {
  std::string_view ns;
  std::string_view local;
};

Name SplitName(const XML_Char* raw) {
  const std::string_view text(raw);
  const size_t sep = text.find(kNsSeparator);
  if (sep == std::string_view::npos) return {std::string_view(), text};
  return {text.substr(0, sep), text.substr(sep + 1)};
}

Elem Classify(Name n) {
  struct Known {
    std::string_view ns;
    std::string_view local;
    Elem elem;
  };
  static constexpr Known kKnown[] = {
      {kDavNs, "multistatus", Elem::kMultistatus},
      {kDavNs, "response", Elem::kResponse},
      {kDavNs, "href", Elem::kHref},
      {kDavNs, "status", Elem::kStatus},
      {kDavNs, "propstat", Elem::kPropstat},
      {kDavNs, "prop", Elem::kProp},
      {kDavNs, "error", Elem::kError},
      {kDavNs, "sync-token", Elem::kSyncToken},
      {kDavNs, "getetag", Elem::kGetEtag},
      {kCalendarServerNs, "getctag", Elem::kGetCtag},
      {kDavNs, "displayname", Elem::kDisplayName},
      {kDavNs, "getcontenttype", Elem::kGetContentType},
      {kDavNs, "getcontentlength", Elem::kGetContentLength},
      {kDavNs, "getlastmodified", Elem::kGetLastModified},
      {kDavNs, "resourcetype", Elem::kResourceType},
      {kDavNs, "collection", Elem::kCollection},
      {kDavNs, "principal", Elem::kPrincipal},
      {kCardDavNs, "addressbook", Elem::kAddressbook},
      {kCalDavNs, "calendar", Elem::kCalendar},
      {kCalDavNs, "supported-calendar-component-set", Elem::kComponentSet},
      {kCalDavNs, "comp", Elem::kComp},
      {kDavNs, "current-user-principal", Elem::kCurrentUserPrincipal},
      {kDavNs, "unauthenticated", Elem::kUnauthenticated},
      {kCardDavNs, "addressbook-home-set", Elem::kAddressbookHomeSet},
      {kCalDavNs, "calendar-home-set", Elem::kCalendarHomeSet},
      {kCardDavNs, "address-data", Elem::kAddressData},
      {kCalDavNs, "calendar-data", Elem::kCalendarData},
  };
  for (const Known& k : kKnown) {
    if (k.local == n.local && k.ns == n.ns) return k.elem;
  }
  return Elem::kOther;
}

std::string Clark(Name n) { return "{" + std::string(n.ns) + "}" + std::string(n.local); }

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "HTTP/1.1 404 Not Found" -> 404.
std::optional<int> ParseStatusLine(std::string_view line) {
  line = Trim(line);
  if (line.substr(0, 5) != "HTTP/") return std::nullopt;
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return std::nullopt;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return std::nullopt;
    code = code * 10 + (line[i] - '0');
  }
  if (line.size() > space + 4 && line[space + 4] != ' ') return std::nullopt;
  if (code < 100) return std::nullopt;
  return code;
}

std::optional<int64_t> ParseLength(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

const Properties* Response::Found() const {
  for (const PropStat& p : propstats) {
    if (p.status >= 200 && p.status < 300) return &p.props;
  }
  return nullptr;
}

std::optional<int> Response::StatusOf(const PropName& name) const {
  const std::string clark = name.Clark();
  for (const PropStat& p : propstats) {
    for (const std::string& n : p.names) {
      if (n == clark) return p.status;
    }
  }
  return std::nullopt;
}

struct MultistatusParser::Impl {
  enum class Root { kMultistatus, kError };

  Impl(OnResponse cb, MultistatusLimits lim, Root r) : on_response(std::move(cb)), limits(lim), root(r) {
    parser = XML_ParserCreateNS(nullptr, kNsSeparator);
    if (parser == nullptr) {
      error = Status(ErrorCode::kInternal, "multistatus: XML_ParserCreateNS failed");
      return;
    }
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Impl::OnStart, &Impl::OnEnd);
    XML_SetCharacterDataHandler(parser, &Impl::OnText);
    XML_SetStartDoctypeDeclHandler(parser, &Impl::OnDoctype);
    XML_SetEntityDeclHandler(parser, &Impl::OnEntityDecl);
    XML_SetExternalEntityRefHandler(parser, &Impl::OnExternalEntity);
    XML_SetParamEntityParsing(parser, XML_PARAM_ENTITY_PARSING_NEVER);
  }
  ~Impl() {
    if (parser != nullptr) XML_ParserFree(parser);
  }

  // Records the first error, with where the parser stands, and stops it.
  void Fail(std::string_view what, ErrorCode code = ErrorCode::kServerError) {
    if (!error.ok()) return;
    error = Status(code, Where() + std::string(what));
    XML_StopParser(parser, XML_FALSE);
  }
  void FailWith(Status status) {
    if (!error.ok()) return;
    error = std::move(status);
    XML_StopParser(parser, XML_FALSE);
  }
  std::string Where() const {
    return "multistatus: line " + std::to_string(XML_GetCurrentLineNumber(parser)) + ", column " +
           std::to_string(XML_GetCurrentColumnNumber(parser) + 1) + ": ";
  }

  // Counts one more list entry of the current response.
  bool Count() {
    if (++items <= limits.max_items_per_response) return true;
    Fail("more than " + std::to_string(limits.max_items_per_response) + " entries in one response");
    return false;
  }

  Elem At(size_t depth_from_top) const {
    return depth_from_top < stack.size() ? stack[stack.size() - 1 - depth_from_top] : Elem::kOther;
  }

  void StartCapture() {
    capturing = true;
    capture_depth = stack.size();
    text.clear();
  }

  // The state machine. `stack` holds the open elements; the new one is not
  // on it yet. Positions (for a multistatus): [0] multistatus, [1] response
  // or sync-token, [2] href/status/propstat/error, [3] prop/status/error,
  // [4] a property, [5] a value inside a property.
  void Start(Elem e, Name name, const XML_Char** attrs) {
    const size_t depth = stack.size();
    if (depth >= limits.max_depth) {
      Fail("elements nested deeper than " + std::to_string(limits.max_depth));
      return;
    }
    if (depth == 0) {
      const Elem want = root == Root::kMultistatus ? Elem::kMultistatus : Elem::kError;
      if (e != want) {
        Fail("the root element is " + Clark(name) + ", not {DAV:}" +
             (root == Root::kMultistatus ? "multistatus" : "error"));
        return;
      }
      root_seen = true;
    } else if (root == Root::kError) {
      if (depth == 1 && Count()) preconditions.push_back(Clark(name));
    } else if (depth == 1) {
      if (e == Elem::kResponse) {
        if (responses == limits.max_responses) {
          Fail("more than " + std::to_string(limits.max_responses) + " responses");
          return;
        }
        response = Response();
        items = 0;
        in_response = true;
      } else if (e == Elem::kSyncToken) {
        StartCapture();
      }
    } else if (in_response) {
      StartInResponse(e, name, attrs, depth);
    }
    stack.push_back(e);
  }

  void StartInResponse(Elem e, Name name, const XML_Char** attrs, size_t depth) {
    const Elem parent = At(0);
    if (depth == 2) {
      if (e == Elem::kHref || e == Elem::kStatus) StartCapture();
      if (e == Elem::kPropstat && Count()) {
        propstat = PropStat();
        in_propstat = true;
      }
      if (e == Elem::kError) error_open = &response.error;
    } else if (depth == 3 && parent == Elem::kError && error_open == &response.error) {
      if (!response.error) response.error = Clark(name);
    } else if (in_propstat && depth == 3) {
      if (e == Elem::kStatus) StartCapture();
      if (e == Elem::kError) error_open = &propstat.error;
    } else if (in_propstat && depth == 4 && parent == Elem::kError && error_open == &propstat.error) {
      if (!propstat.error) propstat.error = Clark(name);
    } else if (in_propstat && depth == 4 && parent == Elem::kProp) {
      StartProperty(e, name);
    } else if (in_propstat && depth == 5 && At(1) == Elem::kProp) {
      StartPropertyValue(At(0), e, attrs);
    }
  }

  void StartProperty(Elem e, Name name) {
    if (name.ns.size() + name.local.size() > kMaxNameBytes) {
      Fail("a property name over " + std::to_string(kMaxNameBytes) + " bytes");
      return;
    }
    if (!Count()) return;
    propstat.names.push_back(Clark(name));
    Properties& p = propstat.props;
    switch (e) {
      case Elem::kGetEtag: case Elem::kGetCtag: case Elem::kSyncToken: case Elem::kDisplayName:
      case Elem::kGetContentType: case Elem::kGetContentLength: case Elem::kGetLastModified: case Elem::kAddressData:
      case Elem::kCalendarData:
        StartCapture();
        break;
      case Elem::kResourceType: p.has_resource_type = true; break;
      case Elem::kComponentSet: p.components.emplace(); break;
      case Elem::kCurrentUserPrincipal: p.current_user_principal.emplace(); break;
      default: break;
    }
  }

  void StartPropertyValue(Elem property, Elem e, const XML_Char** attrs) {
    Properties& p = propstat.props;
    if (property == Elem::kResourceType) {
      if (e == Elem::kCollection) p.collection = true;
      if (e == Elem::kAddressbook) p.addressbook = true;
      if (e == Elem::kCalendar) p.calendar = true;
      if (e == Elem::kPrincipal) p.principal = true;
    } else if (property == Elem::kComponentSet && e == Elem::kComp) {
      for (const XML_Char** a = attrs; a[0] != nullptr; a += 2) {
        if (std::strcmp(a[0], "name") != 0) continue;
        if (!Count()) return;
        std::string comp = std::string(Trim(a[1]));
        for (char& c : comp) {
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        p.components->push_back(std::move(comp));
      }
    } else if ((property == Elem::kCurrentUserPrincipal || property == Elem::kAddressbookHomeSet ||
                property == Elem::kCalendarHomeSet) && e == Elem::kHref) {
      StartCapture();
    }
  }

  void End() {
    const Elem e = stack.back();
    const size_t depth = stack.size() - 1;  // the depth it was opened at
    std::string value;
    const bool captured = capturing && capture_depth == depth;
    if (captured) {
      value = std::move(text);
      text.clear();
      capturing = false;
    }
    if (root == Root::kMultistatus) EndInMultistatus(e, depth, captured, std::move(value));
    stack.pop_back();
  }

  void EndInMultistatus(Elem e, size_t depth, bool captured, std::string value) {
    if (depth == 1 && e == Elem::kSyncToken && captured) {
      sync_token = std::string(Trim(value));
    } else if (depth == 1 && e == Elem::kResponse) {
      EndResponse();
    } else if (!in_response) {
      return;
    } else if (depth == 2 && e == Elem::kHref && captured) {
      std::string href(Trim(value));
      if (response.href.empty()) {
        response.href = std::move(href);
      } else if (Count()) {
        response.extra_hrefs.push_back(std::move(href));
      }
    } else if (depth == 2 && e == Elem::kStatus && captured) {
      response.status = StatusOrFail(value);
    } else if (depth == 2 && e == Elem::kPropstat && in_propstat) {
      in_propstat = false;
      if (propstat.status == 0) {
        Fail("a propstat without a status");
        return;
      }
      response.propstats.push_back(std::move(propstat));
    } else if (e == Elem::kError && (depth == 2 || depth == 3)) {
      error_open = nullptr;
    } else if (in_propstat && depth == 3 && e == Elem::kStatus && captured) {
      propstat.status = StatusOrFail(value).value_or(0);
    } else if (in_propstat && depth == 4 && captured) {
      EndProperty(e, std::move(value));
    } else if (in_propstat && depth == 5 && captured && e == Elem::kHref) {
      Properties& p = propstat.props;
      std::string href(Trim(value));
      const Elem property = At(1);
      if (property == Elem::kCurrentUserPrincipal) {
        p.current_user_principal = std::move(href);
      } else if (property == Elem::kAddressbookHomeSet && Count()) {
        p.addressbook_home_set.push_back(std::move(href));
      } else if (property == Elem::kCalendarHomeSet && Count()) {
        p.calendar_home_set.push_back(std::move(href));
      }
    }
  }

  void EndProperty(Elem e, std::string value) {
    Properties& p = propstat.props;
    switch (e) {
      case Elem::kGetEtag: p.etag = std::string(Trim(value)); break;
      case Elem::kGetCtag: p.ctag = std::string(Trim(value)); break;
      case Elem::kSyncToken: p.sync_token = std::string(Trim(value)); break;
      case Elem::kDisplayName: p.display_name = std::move(value); break;
      case Elem::kGetContentType: p.content_type = std::string(Trim(value)); break;
      case Elem::kGetContentLength: p.content_length = ParseLength(value); break;
      case Elem::kGetLastModified: p.last_modified = std::string(Trim(value)); break;
      case Elem::kAddressData: p.address_data = std::move(value); break;
      case Elem::kCalendarData: p.calendar_data = std::move(value); break;
      default: break;
    }
  }

  std::optional<int> StatusOrFail(const std::string& line) {
    std::optional<int> code = ParseStatusLine(line);
    if (!code) Fail("a status that is not an HTTP status line: '" + std::string(Trim(line)).substr(0, 64) + "'");
    return code;
  }

  void EndResponse() {
    in_response = false;
    if (response.href.empty()) {
      Fail("a response without an href");
      return;
    }
    if (!response.status && response.propstats.empty()) {
      Fail("a response without a status or a propstat (" + response.href.substr(0, 256) + ")");
      return;
    }
    ++responses;
    Status s = on_response(std::move(response));
    if (!s.ok()) FailWith(std::move(s));
  }

  static void XMLCALL OnStart(void* user, const XML_Char* raw, const XML_Char** attrs) {
    auto* self = static_cast<Impl*>(user);
    if (!self->error.ok()) return;
    const Name name = SplitName(raw);
    self->Start(Classify(name), name, attrs);
  }
  static void XMLCALL OnEnd(void* user, const XML_Char*) {
    auto* self = static_cast<Impl*>(user);
    if (!self->error.ok() || self->stack.empty()) return;
    self->End();
  }
  static void XMLCALL OnText(void* user, const XML_Char* s, int len) {
    auto* self = static_cast<Impl*>(user);
    if (!self->error.ok() || !self->capturing) return;
    if (self->text.size() + static_cast<size_t>(len) > self->limits.max_text_bytes) {
      self->Fail("a value over " + std::to_string(self->limits.max_text_bytes) + " bytes");
      return;
    }
    self->text.append(s, static_cast<size_t>(len));
  }
  static void XMLCALL OnDoctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Impl*>(user)->Fail("a DOCTYPE is not allowed (no DTDs, no entities)");
  }
  static void XMLCALL OnEntityDecl(void* user, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                                   const XML_Char*, const XML_Char*, const XML_Char*) {
    static_cast<Impl*>(user)->Fail("an entity declaration is not allowed");
  }
  static int XMLCALL OnExternalEntity(XML_Parser, const XML_Char*, const XML_Char*, const XML_Char*,
                                      const XML_Char*) {
    return XML_STATUS_ERROR;  // never fetched
  }

  Status Parse(std::string_view bytes, bool final) {
    if (!error.ok()) return error;
    if (finished) return Status(ErrorCode::kInternal, "multistatus: Feed after Finish");
    do {
      const size_t n = std::min(bytes.size(), static_cast<size_t>(INT_MAX / 2));
      const bool last = final && n == bytes.size();
      if (XML_Parse(parser, bytes.data(), static_cast<int>(n), last ? 1 : 0) != XML_STATUS_OK) {
        if (error.ok()) error = Status(ErrorCode::kServerError, Where() + XML_ErrorString(XML_GetErrorCode(parser)));
        return error;
      }
      bytes.remove_prefix(n);
    } while (!bytes.empty());
    if (final) {
      finished = true;
      if (!root_seen) error = Status(ErrorCode::kServerError, Where() + "no root element");
    }
    return error;
  }

  OnResponse on_response;
  MultistatusLimits limits;
  Root root;
  XML_Parser parser = nullptr;
  Status error;
  bool finished = false;
  bool root_seen = false;

  std::vector<Elem> stack;
  bool capturing = false;
  size_t capture_depth = 0;
  std::string text;

  bool in_response = false;
  bool in_propstat = false;
  Response response;
  PropStat propstat;
  std::optional<std::string>* error_open = nullptr;  // the error element being read
  size_t items = 0;
  size_t responses = 0;
  std::optional<std::string> sync_token;
  std::vector<std::string> preconditions;  // Root::kError
};

MultistatusParser::MultistatusParser(OnResponse on_response, MultistatusLimits limits)
    : impl_(std::make_unique<Impl>(std::move(on_response), limits, Impl::Root::kMultistatus)) {}
MultistatusParser::~MultistatusParser() = default;

Status MultistatusParser::Feed(std::string_view bytes) { return impl_->Parse(bytes, false); }
Status MultistatusParser::Finish() { return impl_->Parse({}, true); }
const std::optional<std::string>& MultistatusParser::sync_token() const { return impl_->sync_token; }
size_t MultistatusParser::response_count() const { return impl_->responses; }

Result<Multistatus> ParseMultistatus(std::string_view body, const MultistatusLimits& limits) {
  Multistatus out;
  MultistatusParser parser(
      [&out](Response&& r) {
        out.responses.push_back(std::move(r));
        return Status::Ok();
      },
      limits);
  HF_RETURN_IF_ERROR(parser.Feed(body));
  HF_RETURN_IF_ERROR(parser.Finish());
  out.sync_token = parser.sync_token();
  return out;
}

Result<std::vector<std::string>> ParseDavError(std::string_view body, const MultistatusLimits& limits) {
  MultistatusParser::Impl impl([](Response&&) { return Status::Ok(); }, limits, MultistatusParser::Impl::Root::kError);
  HF_RETURN_IF_ERROR(impl.Parse(body, true));
  return std::move(impl.preconditions);
}

}  // namespace holdfast::platform::dav
