// holdfast-eds-tool's access to Evolution Data Server: connections to the
// collections of the session bus's EDS through EDS's own client libraries
// (libebook, libecal), and the conversions the subcommands share. This is
// the independent reference the EDS tests and benchmark compare Holdfast
// against, so it never uses platform/eds.
//
// Thread-safety: one thread. Durability: a write that returned OK was
// accepted by EDS.
#pragma once

#include <libebook/libebook.h>
#include <libecal/libecal.h>

#include <memory>
#include <string>
#include <vector>

#include "platform/status.h"

namespace holdfast::eds_tool {

// The item kinds of the CLI and the default collection of each.
enum class Kind { kContacts, kEvents, kTasks, kMemos };
inline constexpr Kind kAllKinds[] = {Kind::kContacts, Kind::kEvents, Kind::kTasks, Kind::kMemos};
const char* KindName(Kind kind);                  // "contacts", ...
const char* DefaultCollection(Kind kind);         // "system-address-book", ...
Result<Kind> ParseKind(const std::string& name);  // kInvalidArgument for others

struct GObjectUnref {
  void operator()(gpointer object) const {
    if (object != nullptr) g_object_unref(object);
  }
};
template <typename T>
using GRef = std::unique_ptr<T, GObjectUnref>;

// An open collection: exactly one of book/cal is set.
struct Collection {
  Kind kind = Kind::kContacts;
  std::string uid;
  GRef<EBookClient> book;
  GRef<ECalClient> cal;
};

// The session's source registry, then the collection `uid` opened as `kind`
// (waiting as long as EDS needs to come online). Errors: kNotFound (no such
// ESource, or EDS not answering), with EDS's message.
class Eds {
 public:
  static Result<std::unique_ptr<Eds>> Connect();
  Result<Collection> Open(Kind kind, const std::string& uid);

 private:
  GRef<ESourceRegistry> registry_;
};

// "context: EDS's message" from a GError, which it frees.
Status GErrorStatus(const std::string& context, GError* error);

// The component kind libical uses for `kind` (events, tasks, memos).
ICalComponentKind IcalKind(Kind kind);

// Whole file as bytes; kNotFound/kIoError with the path.
Result<std::string> ReadWholeFile(const std::string& path);

// Lower-case hex SHA-256 of bytes.
std::string Sha256Hex(const std::string& bytes);

// The bytes of a contact's photo: inline data, or the file a file:// URI
// names. Empty when the contact has none; an error when the URI names a file
// that cannot be read.
Result<std::string> ContactPhotoBytes(EContact* contact);

// "\r\n" -> "\n".
std::string UnixLines(std::string text);

}  // namespace holdfast::eds_tool
