// Request bodies for WebDAV, CardDAV and CalDAV: PROPFIND (RFC 4918),
// addressbook-multiget (RFC 6352), calendar-multiget (RFC 4791),
// sync-collection (RFC 6578), MKCALENDAR (RFC 4791) and extended MKCOL for
// an address book (RFC 5689). Each is a whole UTF-8 XML document, to be sent
// with "Content-Type: application/xml; charset=utf-8".
//
// Text (hrefs, tokens, display names, namespace URIs) is escaped for XML; a
// CR is written as "&#13;" so that it survives the receiver's line-end
// normalisation. Text XML 1.0 cannot carry at all (invalid UTF-8, a control
// byte other than tab, LF and CR, U+FFFE, U+FFFF) is refused, never altered:
// every builder fails with kInvalidArgument naming what was wrong.
//
// Pure functions: thread-safe, no I/O.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "platform/dav/dav_names.h"
#include "platform/status.h"

namespace holdfast::platform::dav {

// `text` escaped for XML character data and attribute values (& < > " and
// tab, LF, CR as character references). Errors: kInvalidArgument (see above).
Result<std::string> EscapeXml(std::string_view text);

// PROPFIND asking for `props` by name; no props: DAV:allprop.
// Errors: kInvalidArgument for a local name that is not an XML name.
Result<std::string> PropfindBody(std::span<const PropName> props);

// REPORT addressbook-multiget / calendar-multiget for `hrefs` (as the server
// names them: already percent-encoded paths or URLs), asking for `props`
// (usually getetag plus address-data / calendar-data). Errors:
// kInvalidArgument for no href, or text as above.
Result<std::string> AddressbookMultigetBody(std::span<const PropName> props, std::span<const std::string> hrefs);
Result<std::string> CalendarMultigetBody(std::span<const PropName> props, std::span<const std::string> hrefs);

// REPORT sync-collection with sync-level 1 from `sync_token` (empty: the
// initial sync, an empty DAV:sync-token element), asking for `props`.
Result<std::string> SyncCollectionBody(std::string_view sync_token, std::span<const PropName> props);

// MKCALENDAR setting the display name (when given) and the
// supported-calendar-component-set (when not empty; names such as "VEVENT",
// "VTODO", "VJOURNAL", written upper-case). Neither: an empty string (the
// request may go without a body). Errors: kInvalidArgument for a component
// name that is not letters, digits and '-'.
Result<std::string> MkcalendarBody(std::optional<std::string_view> display_name,
                                   std::span<const std::string> components);

// Extended MKCOL (RFC 5689) making an address book: resourcetype
// collection + CARDDAV:addressbook, and the display name when given.
Result<std::string> MkcolAddressbookBody(std::optional<std::string_view> display_name);

}  // namespace holdfast::platform::dav
