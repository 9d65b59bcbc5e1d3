// The handset's Evolution Data Server (EDS): the address books, calendars,
// task lists and memo lists that GNOME, Phosh and Ubuntu Touch keep
// (docs/eds.md).
//
// Everything goes through EDS's own client libraries (libebook, libecal) over
// the session D-Bus, never through EDS's files: a reader that holds EDS's
// SQLite database open makes its writes fail, and a writer beside a running
// EDS would be overwritten by it. Reading a collection is one request to EDS,
// which answers from its own store; Holdfast never holds a lock EDS waits on.
//
// This module owns GLib, libebook and libecal; nothing outside
// platform/eds/ includes their headers. The build picks eds_store.cc when
// pkg-config finds libebook-1.2 and libecal-2.0, else
// eds_store_unavailable.cc, whose Connect() says how to get EDS support.
//
// Thread-safety: an EdsStore is used by one thread at a time. Durability: a
// write that returned OK has been accepted by EDS (EDS saves it).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform::eds {

// The four kinds of EDS collection ("source" in EDS's words).
enum class EdsKind { kAddressBook, kCalendar, kTaskList, kMemoList };

// "address-book", "calendar", "task-list", "memo-list".
const char* EdsKindName(EdsKind kind);

struct EdsCollection {
  EdsKind kind = EdsKind::kAddressBook;
  std::string uid;           // the ESource UID, e.g. "system-address-book"
  std::string display_name;  // as the user sees it, e.g. "Personal"
  std::string backend;       // "local" for the device's own data; "carddav", "caldav", ... for accounts
  bool enabled = true;
};

// Whether this build has EDS support (libebook/libecal were found).
bool EdsSupportBuiltIn();

class EdsStore {
 public:
  virtual ~EdsStore() = default;

  // Connects to the EDS of the session bus (DBUS_SESSION_BUS_ADDRESS), which
  // D-Bus starts on demand. `photo_root`: contact photos that EDS moved out
  // of their vCard into files are inlined when they lie below this folder
  // (EDS's data folder, e.g. ~/.local/share/evolution); a PHOTO or LOGO URI
  // pointing anywhere else is left as it is and never opened.
  // Errors: kNotFound (no session bus, or EDS not installed or not
  // answering), kInvalidArgument (built without EDS support: the message says
  // which packages to install and rebuild with).
  static Result<std::unique_ptr<EdsStore>> Connect(std::string photo_root);

  // Every collection EDS knows of the four kinds, in a stable order (kind,
  // then UID). Errors: kIoError naming EDS's answer.
  virtual Result<std::vector<EdsCollection>> ListCollections() = 0;

  // The collection's revision as its backend reports it: a text that changes
  // whenever an item is added, changed or removed (may be empty where the
  // backend has none). Errors: kNotFound (no such collection), kIoError.
  virtual Result<std::string> Revision(const EdsCollection& collection) = 0;

  // Reads every item of the collection and calls `take` once per item with
  // its text, until `take` returns an error (returned as is):
  //  - address book: the contact as a vCard 3.0, with a PHOTO or LOGO that
  //    EDS keeps in a file below photo_root inlined as base64 (the file opened
  //    without following links, at most kMaxEdsPhotoBytes; a larger or
  //    unreadable one is left as a URI and named in `problems`);
  //  - calendar, task list, memo list: one VCALENDAR per UID holding its
  //    components (a recurring master and its overrides together, the master
  //    first) and the VTIMEZONEs they refer to.
  // Items come in EDS's order. Errors: kNotFound, kIoError (EDS failed).
  virtual Status ReadItems(const EdsCollection& collection,
                           const std::function<Status(std::string_view text)>& take,
                           std::vector<std::string>* problems) = 0;

  // Adds items (texts as ReadItems gives them: one vCard, or one VCALENDAR
  // of one UID) to the collection in one request, keeping their UIDs. An
  // item whose UID the collection holds already is an error for the whole
  // call (kAlreadyExists); callers add only what ReadItems did not find.
  // Errors: kMalformedInput (a text EDS cannot parse, naming its UID),
  // kNotFound, kIoError.
  virtual Status AddItems(const EdsCollection& collection, const std::vector<std::string>& texts) = 0;

  // Replaces items that the collection holds (matched by UID) with these
  // texts, in one request. Errors as AddItems; kNotFound for a UID not there.
  virtual Status ReplaceItems(const EdsCollection& collection, const std::vector<std::string>& texts) = 0;

  // Makes sure a local collection with this kind and UID exists, creating it
  // (backend "local", the given display name) when EDS has none, as after a
  // reset that also lost EDS's configuration. Idempotent.
  // Errors: kAlreadyExists (the UID is a collection of another kind or not
  // local), kIoError.
  virtual Status EnsureLocalCollection(const EdsCollection& collection) = 0;
};

// A photo larger than this stays a file URI in the captured vCard.
inline constexpr size_t kMaxEdsPhotoBytes = size_t{16} << 20;

// Bump when EdsStore's virtual functions or the types they pass change: the
// store lives in a module loaded at run time (eds_module.cc), which must be
// of the same build as the program that loads it.
inline constexpr int kEdsInterfaceVersion = 1;

// What must agree between holdfast and its EDS module: the project's version,
// the interface version, the compiler, and the sizes of the types that cross.
// Computed on each side from its own headers; eds_module.cc compares them.
std::string EdsBuildStamp();

}  // namespace holdfast::platform::eds
