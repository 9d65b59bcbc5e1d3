// XML names of WebDAV (RFC 4918), CardDAV (RFC 6352), CalDAV (RFC 4791),
// sync-collection (RFC 6578) and the CalendarServer extension (getctag):
// the namespaces and the properties the DAV modules read and ask for.
//
// A name is written in Clark notation, "{namespace}local", wherever one string
// has to stand for it (multistatus.h lists property names that way).
// Constants only: thread-safe, no state.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::platform::dav {

inline constexpr std::string_view kDavNs = "DAV:";
inline constexpr std::string_view kCardDavNs = "urn:ietf:params:xml:ns:carddav";
inline constexpr std::string_view kCalDavNs = "urn:ietf:params:xml:ns:caldav";
inline constexpr std::string_view kCalendarServerNs = "http://calendarserver.org/ns/";

// A property (or element) name: its namespace URI and local name.
struct PropName {
  std::string_view ns;
  std::string_view local;

  // "{ns}local".
  std::string Clark() const { return "{" + std::string(ns) + "}" + std::string(local); }
  friend bool operator==(const PropName&, const PropName&) = default;
};

inline constexpr PropName kGetEtag{kDavNs, "getetag"};
inline constexpr PropName kSyncToken{kDavNs, "sync-token"};
inline constexpr PropName kResourceType{kDavNs, "resourcetype"};
inline constexpr PropName kDisplayName{kDavNs, "displayname"};
inline constexpr PropName kGetContentType{kDavNs, "getcontenttype"};
inline constexpr PropName kGetContentLength{kDavNs, "getcontentlength"};
inline constexpr PropName kGetLastModified{kDavNs, "getlastmodified"};
inline constexpr PropName kCurrentUserPrincipal{kDavNs, "current-user-principal"};
inline constexpr PropName kGetCtag{kCalendarServerNs, "getctag"};
inline constexpr PropName kAddressbookHomeSet{kCardDavNs, "addressbook-home-set"};
inline constexpr PropName kAddressData{kCardDavNs, "address-data"};
inline constexpr PropName kCalendarHomeSet{kCalDavNs, "calendar-home-set"};
inline constexpr PropName kCalendarData{kCalDavNs, "calendar-data"};
inline constexpr PropName kSupportedCalendarComponentSet{kCalDavNs, "supported-calendar-component-set"};

}  // namespace holdfast::platform::dav
