// The EDS store over libebook and libecal (eds_store.h).
#include "platform/eds/eds_store.h"

#include <fcntl.h>
#include <libebook/libebook.h>
#include <libecal/libecal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "platform/unique_fd.h"

namespace holdfast::platform::eds {
namespace {

// Owners for the GLib values this file holds.
struct GObjectUnref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GString_ = std::unique_ptr<gchar, GFree>;
struct GErrorFree {
  void operator()(GError* e) const { g_error_free(e); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorFree>;

// How EDS tells "no such thing" (a collection gone, an item gone) apart from failures.
bool IsNotFound(const GError* error) {
  return g_error_matches(error, E_BOOK_CLIENT_ERROR, E_BOOK_CLIENT_ERROR_NO_SUCH_SOURCE) ||
         g_error_matches(error, E_BOOK_CLIENT_ERROR, E_BOOK_CLIENT_ERROR_NO_SUCH_BOOK) ||
         g_error_matches(error, E_BOOK_CLIENT_ERROR, E_BOOK_CLIENT_ERROR_CONTACT_NOT_FOUND) ||
         g_error_matches(error, E_CAL_CLIENT_ERROR, E_CAL_CLIENT_ERROR_NO_SUCH_CALENDAR) ||
         g_error_matches(error, E_CAL_CLIENT_ERROR, E_CAL_CLIENT_ERROR_OBJECT_NOT_FOUND);
}

Status FromGError(GError* raw, const std::string& context) {
  GErrorPtr error(raw);
  if (!error) return Status(ErrorCode::kIoError, context + ": Evolution Data Server failed without saying why");
  ErrorCode code = ErrorCode::kIoError;
  if (IsNotFound(error.get())) code = ErrorCode::kNotFound;
  if (g_error_matches(error.get(), E_BOOK_CLIENT_ERROR, E_BOOK_CLIENT_ERROR_CONTACT_ID_ALREADY_EXISTS) ||
      g_error_matches(error.get(), E_CAL_CLIENT_ERROR, E_CAL_CLIENT_ERROR_OBJECT_ID_ALREADY_EXISTS)) {
    code = ErrorCode::kAlreadyExists;
  }
  if (g_error_matches(error.get(), E_CLIENT_ERROR, E_CLIENT_ERROR_INVALID_ARG) ||
      g_error_matches(error.get(), E_CAL_CLIENT_ERROR, E_CAL_CLIENT_ERROR_INVALID_OBJECT)) {
    code = ErrorCode::kMalformedInput;
  }
  if (g_error_matches(error.get(), E_BOOK_CLIENT_ERROR, E_BOOK_CLIENT_ERROR_NO_SPACE)) code = ErrorCode::kNoSpace;
  return Status(code, context + ": " + error->message);
}

const char* ExtensionName(EdsKind kind) {
  switch (kind) {
    case EdsKind::kAddressBook: return E_SOURCE_EXTENSION_ADDRESS_BOOK;
    case EdsKind::kCalendar: return E_SOURCE_EXTENSION_CALENDAR;
    case EdsKind::kTaskList: return E_SOURCE_EXTENSION_TASK_LIST;
    case EdsKind::kMemoList: return E_SOURCE_EXTENSION_MEMO_LIST;
  }
  return E_SOURCE_EXTENSION_ADDRESS_BOOK;
}

ECalClientSourceType CalendarType(EdsKind kind) {
  switch (kind) {
    case EdsKind::kTaskList: return E_CAL_CLIENT_SOURCE_TYPE_TASKS;
    case EdsKind::kMemoList: return E_CAL_CLIENT_SOURCE_TYPE_MEMOS;
    default: return E_CAL_CLIENT_SOURCE_TYPE_EVENTS;
  }
}

std::string Describe(const EdsCollection& c) {
  return std::string("EDS ") + EdsKindName(c.kind) + " '" + c.uid + "'";
}

// A component's text as libical writes it.
std::string ComponentText(ICalComponent* component) {
  GString_ text(i_cal_component_as_ical_string(component));
  return text ? std::string(text.get()) : std::string();
}

std::string ComponentUid(ICalComponent* component) {
  const gchar* uid = i_cal_component_get_uid(component);
  return uid ? uid : "";
}

bool HasRecurrenceId(ICalComponent* component) {
  GObjectPtr<ICalProperty> property(i_cal_component_get_first_property(component, I_CAL_RECURRENCEID_PROPERTY));
  return property != nullptr;
}

// The TZIDs the component's properties refer to, in order of first use.
void CollectTzids(ICalComponent* component, std::vector<std::string>* tzids) {
  for (ICalProperty* raw = i_cal_component_get_first_property(component, I_CAL_ANY_PROPERTY); raw != nullptr;
       raw = i_cal_component_get_next_property(component, I_CAL_ANY_PROPERTY)) {
    GObjectPtr<ICalProperty> property(raw);
    GObjectPtr<ICalParameter> parameter(i_cal_property_get_first_parameter(property.get(), I_CAL_TZID_PARAMETER));
    if (!parameter) continue;
    const gchar* tzid = i_cal_parameter_get_tzid(parameter.get());
    if (tzid != nullptr && std::find(tzids->begin(), tzids->end(), tzid) == tzids->end()) tzids->push_back(tzid);
  }
}

constexpr const char* kCalendarHeader = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast//EDS//EN\r\n";
constexpr const char* kCalendarEnd = "END:VCALENDAR\r\n";

class LibEdsStore : public EdsStore {
 public:
  LibEdsStore(GObjectPtr<ESourceRegistry> registry, std::string photo_root)
      : registry_(std::move(registry)), photo_root_(std::move(photo_root)) {}

  Result<std::vector<EdsCollection>> ListCollections() override {
    std::vector<EdsCollection> all;
    for (EdsKind kind : {EdsKind::kAddressBook, EdsKind::kCalendar, EdsKind::kTaskList, EdsKind::kMemoList}) {
      GList* sources = e_source_registry_list_sources(registry_.get(), ExtensionName(kind));
      for (GList* it = sources; it != nullptr; it = it->next) {
        ESource* source = E_SOURCE(it->data);
        auto* backend = static_cast<ESourceBackend*>(e_source_get_extension(source, ExtensionName(kind)));
        const gchar* backend_name = e_source_backend_get_backend_name(backend);
        const gchar* display = e_source_get_display_name(source);
        all.push_back({kind, e_source_get_uid(source), display ? display : "", backend_name ? backend_name : "",
                       e_source_get_enabled(source) != FALSE});
      }
      g_list_free_full(sources, g_object_unref);
    }
    std::stable_sort(all.begin(), all.end(), [](const EdsCollection& a, const EdsCollection& b) {
      return std::pair(a.kind, a.uid) < std::pair(b.kind, b.uid);
    });
    return all;
  }

  Result<std::string> Revision(const EdsCollection& collection) override {
    Result<EClient*> client = ClientFor(collection);
    if (!client) return client.error();
    gchar* raw = nullptr;
    GError* error = nullptr;
    if (!e_client_get_backend_property_sync(*client, "revision", &raw, nullptr, &error)) {
      return FromGError(error, Describe(collection) + ": reading its revision");
    }
    GString_ revision(raw);
    return std::string(revision ? revision.get() : "");
  }

  Status ReadItems(const EdsCollection& collection, const std::function<Status(std::string_view)>& take,
                   std::vector<std::string>* problems) override {
    Result<EClient*> client = ClientFor(collection);
    if (!client) return client.error();
    if (collection.kind == EdsKind::kAddressBook) return ReadContacts(collection, E_BOOK_CLIENT(*client), take, problems);
    return ReadCalendar(collection, E_CAL_CLIENT(*client), take);
  }

  Status AddItems(const EdsCollection& collection, const std::vector<std::string>& texts) override {
    return WriteItems(collection, texts, /*replace=*/false);
  }

  Status ReplaceItems(const EdsCollection& collection, const std::vector<std::string>& texts) override {
    return WriteItems(collection, texts, /*replace=*/true);
  }

  Status EnsureLocalCollection(const EdsCollection& collection) override {
    GObjectPtr<ESource> existing(e_source_registry_ref_source(registry_.get(), collection.uid.c_str()));
    if (existing) {
      if (!e_source_has_extension(existing.get(), ExtensionName(collection.kind))) {
        return Status(ErrorCode::kAlreadyExists, Describe(collection) + ": EDS has a collection with this UID " +
                                                     "that is not a " + EdsKindName(collection.kind));
      }
      return Status::Ok();
    }
    GError* error = nullptr;
    GObjectPtr<ESource> source(e_source_new_with_uid(collection.uid.c_str(), nullptr, &error));
    if (!source) return FromGError(error, Describe(collection) + ": creating it");
    e_source_set_display_name(source.get(),
                              collection.display_name.empty() ? collection.uid.c_str() : collection.display_name.c_str());
    e_source_set_parent(source.get(), "local-stub");
    auto* backend = static_cast<ESourceBackend*>(e_source_get_extension(source.get(), ExtensionName(collection.kind)));
    e_source_backend_set_backend_name(backend, "local");
    if (!e_source_registry_commit_source_sync(registry_.get(), source.get(), nullptr, &error)) {
      return FromGError(error, Describe(collection) + ": creating it");
    }
    return Status::Ok();
  }

 private:
  Result<EClient*> ClientFor(const EdsCollection& collection) {
    const auto key = std::pair(collection.kind, collection.uid);
    auto it = clients_.find(key);
    if (it != clients_.end()) return it->second.get();
    GObjectPtr<ESource> source(e_source_registry_ref_source(registry_.get(), collection.uid.c_str()));
    if (!source || !e_source_has_extension(source.get(), ExtensionName(collection.kind))) {
      return Status(ErrorCode::kNotFound, Describe(collection) + ": EDS has no such collection");
    }
    GError* error = nullptr;
    // (guint32)-1: do not wait for the backend to go "online" (a local one
    // never does without a network, and the connect would wait the full time).
    EClient* client =
        collection.kind == EdsKind::kAddressBook
            ? e_book_client_connect_sync(source.get(), static_cast<guint32>(-1), nullptr, &error)
            : e_cal_client_connect_sync(source.get(), CalendarType(collection.kind), static_cast<guint32>(-1), nullptr,
                                        &error);
    if (client == nullptr) return FromGError(error, Describe(collection) + ": opening it");
    clients_[key].reset(client);
    return client;
  }

  Status ReadContacts(const EdsCollection& collection, EBookClient* client,
                      const std::function<Status(std::string_view)>& take, std::vector<std::string>* problems) {
    GSList* contacts = nullptr;
    GError* error = nullptr;
    if (!e_book_client_get_contacts_sync(client, "", &contacts, nullptr, &error)) {
      return FromGError(error, Describe(collection) + ": reading its contacts");
    }
    Status status = Status::Ok();
    for (GSList* it = contacts; it != nullptr && status.ok(); it = it->next) {
      EContact* contact = E_CONTACT(it->data);
      InlinePhoto(collection, contact, E_CONTACT_PHOTO, problems);
      InlinePhoto(collection, contact, E_CONTACT_LOGO, problems);
      GString_ text(e_vcard_to_string(E_VCARD(contact), EVC_FORMAT_VCARD_30));
      status = take(text ? std::string_view(text.get()) : std::string_view());
    }
    g_slist_free_full(contacts, g_object_unref);
    return status;
  }

  // Replaces a photo EDS keeps in a file of its own by the photo's bytes.
  void InlinePhoto(const EdsCollection& collection, EContact* contact, EContactField field,
                   std::vector<std::string>* problems) {
    auto* photo = static_cast<EContactPhoto*>(e_contact_get(contact, field));
    if (photo == nullptr) return;
    std::unique_ptr<EContactPhoto, void (*)(EContactPhoto*)> owner(photo, e_contact_photo_free);
    if (photo->type != E_CONTACT_PHOTO_TYPE_URI) return;
    const gchar* uri = e_contact_photo_get_uri(photo);
    if (uri == nullptr || g_ascii_strncasecmp(uri, "file:", 5) != 0) return;  // a web address stays one
    const char* uid = static_cast<const char*>(e_contact_get_const(contact, E_CONTACT_UID));
    const std::string where = Describe(collection) + ", contact '" + (uid ? uid : "") + "': " +
                              (field == E_CONTACT_PHOTO ? "PHOTO " : "LOGO ") + uri;
    GString_ path(g_filename_from_uri(uri, nullptr, nullptr));
    if (!path) {
      problems->push_back(where + ": not a file name; kept as a link");
      return;
    }
    Result<std::string> bytes = ReadPhotoFile(path.get());
    if (!bytes) {
      problems->push_back(where + ": " + bytes.error().message() + "; kept as a link");
      return;
    }
    GString_ content_type(g_content_type_guess(nullptr, reinterpret_cast<const guchar*>(bytes->data()),
                                               bytes->size(), nullptr));
    GString_ mime(content_type ? g_content_type_get_mime_type(content_type.get()) : nullptr);
    EContactPhoto* inlined = e_contact_photo_new();
    std::unique_ptr<EContactPhoto, void (*)(EContactPhoto*)> inlined_owner(inlined, e_contact_photo_free);
    inlined->type = E_CONTACT_PHOTO_TYPE_INLINED;
    e_contact_photo_set_inlined(inlined, reinterpret_cast<const guchar*>(bytes->data()), bytes->size());
    e_contact_photo_set_mime_type(inlined, mime ? mime.get() : "application/octet-stream");
    e_contact_set(contact, field, inlined);
  }

  // A photo file below photo_root_, opened without following a link (its
  // resolved place is checked too), regular, at most kMaxEdsPhotoBytes.
  Result<std::string> ReadPhotoFile(const std::string& path) {
    if (!IsBelow(path, photo_root_)) return Status(ErrorCode::kPermission, "outside EDS's data folder " + photo_root_);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) return ErrnoStatus("opening it", errno);
    char resolved[4096];
    const std::string link = "/proc/self/fd/" + std::to_string(fd.get());
    ssize_t n = readlink(link.c_str(), resolved, sizeof resolved - 1);
    if (n <= 0) return ErrnoStatus("resolving it", errno);
    resolved[n] = '\0';
    char* root = realpath(photo_root_.c_str(), nullptr);
    const bool inside = root != nullptr && IsBelow(resolved, root);
    free(root);
    if (!inside) return Status(ErrorCode::kPermission, "leads outside EDS's data folder " + photo_root_);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return ErrnoStatus("stat", errno);
    if (!S_ISREG(st.st_mode)) return Status(ErrorCode::kInvalidArgument, "not a regular file");
    if (static_cast<uint64_t>(st.st_size) > kMaxEdsPhotoBytes) {
      return Status(ErrorCode::kInvalidArgument, "larger than " + std::to_string(kMaxEdsPhotoBytes >> 20) + " MiB");
    }
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t got = read(fd.get(), bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoStatus("reading it", errno);
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    bytes.resize(done);
    return bytes;
  }

  // Whether `path` lies below folder `root` (no "..", no "." components).
  static bool IsBelow(const std::string& path, const std::string& root) {
    if (root.empty() || path.size() <= root.size() + 1) return false;
    std::string prefix = root.back() == '/' ? root : root + "/";
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    const std::string rest = "/" + path.substr(prefix.size()) + "/";
    return rest.find("/../") == std::string::npos && rest.find("/./") == std::string::npos &&
           rest.find("//") == std::string::npos;
  }

  Status ReadCalendar(const EdsCollection& collection, ECalClient* client,
                      const std::function<Status(std::string_view)>& take) {
    GSList* components = nullptr;
    GError* error = nullptr;
    if (!e_cal_client_get_object_list_sync(client, "#t", &components, nullptr, &error)) {
      return FromGError(error, Describe(collection) + ": reading its items");
    }
    // One item per UID: a recurring master and its overrides go together.
    std::vector<std::string> order;
    std::map<std::string, std::vector<ICalComponent*>> by_uid;
    for (GSList* it = components; it != nullptr; it = it->next) {
      auto* component = static_cast<ICalComponent*>(it->data);
      std::string uid = ComponentUid(component);
      auto [entry, added] = by_uid.try_emplace(uid);
      if (added) order.push_back(uid);
      entry->second.push_back(component);
    }
    Status status = Status::Ok();
    std::map<std::string, std::string> zone_texts;  // TZID -> VTIMEZONE ("" when EDS has none)
    for (const std::string& uid : order) {
      std::vector<ICalComponent*>& parts = by_uid[uid];
      std::stable_partition(parts.begin(), parts.end(), [](ICalComponent* c) { return !HasRecurrenceId(c); });
      std::vector<std::string> tzids;
      for (ICalComponent* part : parts) CollectTzids(part, &tzids);
      std::string text = kCalendarHeader;
      for (const std::string& tzid : tzids) text += ZoneText(client, tzid, &zone_texts);
      for (ICalComponent* part : parts) text += ComponentText(part);
      text += kCalendarEnd;
      status = take(text);
      if (!status.ok()) break;
    }
    g_slist_free_full(components, g_object_unref);
    return status;
  }

  // The VTIMEZONE EDS holds for `tzid`; "" for one it has none of (UTC, or a
  // zone libical knows by its name).
  static const std::string& ZoneText(ECalClient* client, const std::string& tzid,
                                     std::map<std::string, std::string>* cache) {
    auto [it, added] = cache->try_emplace(tzid);
    if (!added) return it->second;
    ICalTimezone* zone = nullptr;  // owned by the client
    GError* error = nullptr;
    if (e_cal_client_get_timezone_sync(client, tzid.c_str(), &zone, nullptr, &error) && zone != nullptr) {
      GObjectPtr<ICalComponent> component(i_cal_timezone_get_component(zone));
      if (component) it->second = ComponentText(component.get());
    }
    if (error != nullptr) g_error_free(error);
    return it->second;
  }

  Status WriteItems(const EdsCollection& collection, const std::vector<std::string>& texts, bool replace) {
    if (texts.empty()) return Status::Ok();
    Result<EClient*> client = ClientFor(collection);
    if (!client) return client.error();
    if (collection.kind == EdsKind::kAddressBook) return WriteContacts(collection, E_BOOK_CLIENT(*client), texts, replace);
    return WriteCalendar(collection, E_CAL_CLIENT(*client), texts, replace);
  }

  Status WriteContacts(const EdsCollection& collection, EBookClient* client, const std::vector<std::string>& texts,
                       bool replace) {
    GSList* contacts = nullptr;
    for (const std::string& text : texts) contacts = g_slist_prepend(contacts, e_contact_new_from_vcard(text.c_str()));
    contacts = g_slist_reverse(contacts);
    GError* error = nullptr;
    gboolean ok = replace ? e_book_client_modify_contacts_sync(client, contacts, E_BOOK_OPERATION_FLAG_NONE, nullptr,
                                                               &error)
                          : e_book_client_add_contacts_sync(client, contacts, E_BOOK_OPERATION_FLAG_NONE, nullptr,
                                                            nullptr, &error);
    g_slist_free_full(contacts, g_object_unref);
    if (!ok) {
      return FromGError(error, Describe(collection) + (replace ? ": replacing " : ": adding ") +
                                   std::to_string(texts.size()) + " contacts");
    }
    return Status::Ok();
  }

  // Time zones first (EDS keeps each under its own TZID), then every
  // component in one create request: recurring masters with their overrides,
  // which EDS takes together. (A "publish" through receive_objects was
  // measured to rename TZIDs to libical's built-in ones and to add an EXDATE
  // for each override: not the item that was captured.) Replacing removes
  // the items first (a cut between the two leaves them missing on the
  // device, and a restore run again adds them).
  Status WriteCalendar(const EdsCollection& collection, ECalClient* client, const std::vector<std::string>& texts,
                       bool replace) {
    std::vector<GObjectPtr<ICalComponent>> items;
    for (const std::string& text : texts) {
      GObjectPtr<ICalComponent> item(i_cal_component_new_from_string(text.c_str()));
      if (!item || i_cal_component_isa(item.get()) != I_CAL_VCALENDAR_COMPONENT) {
        return Status(ErrorCode::kMalformedInput,
                      Describe(collection) + ": an item is not an iCalendar object EDS can read");
      }
      items.push_back(std::move(item));
    }
    std::set<std::string> zones;
    std::set<std::string> uids;
    std::vector<GObjectPtr<ICalComponent>> parts;
    for (const GObjectPtr<ICalComponent>& item : items) {
      for (ICalComponent* raw = i_cal_component_get_first_component(item.get(), I_CAL_ANY_COMPONENT); raw != nullptr;
           raw = i_cal_component_get_next_component(item.get(), I_CAL_ANY_COMPONENT)) {
        GObjectPtr<ICalComponent> part(raw);
        const ICalComponentKind kind = i_cal_component_isa(part.get());
        if (kind == I_CAL_VTIMEZONE_COMPONENT) {
          HF_RETURN_IF_ERROR(AddZone(collection, client, part.get(), &zones));
        } else if (kind == I_CAL_VEVENT_COMPONENT || kind == I_CAL_VTODO_COMPONENT ||
                   kind == I_CAL_VJOURNAL_COMPONENT) {
          uids.insert(ComponentUid(part.get()));
          parts.push_back(std::move(part));
        }
      }
    }
    GError* error = nullptr;
    if (replace) {
      GSList* ids = nullptr;
      for (const std::string& uid : uids) ids = g_slist_prepend(ids, e_cal_component_id_new(uid.c_str(), nullptr));
      gboolean removed = e_cal_client_remove_objects_sync(client, ids, E_CAL_OBJ_MOD_ALL, E_CAL_OPERATION_FLAG_NONE,
                                                          nullptr, &error);
      g_slist_free_full(ids, reinterpret_cast<GDestroyNotify>(e_cal_component_id_free));
      if (!removed) return FromGError(error, Describe(collection) + ": removing " + std::to_string(uids.size()) +
                                                 " items to replace them");
    }
    GSList* list = nullptr;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) list = g_slist_prepend(list, it->get());
    gboolean created =
        e_cal_client_create_objects_sync(client, list, E_CAL_OPERATION_FLAG_NONE, nullptr, nullptr, &error);
    g_slist_free(list);
    if (!created) {
      return FromGError(error, Describe(collection) + ": adding " + std::to_string(texts.size()) + " items");
    }
    return Status::Ok();
  }

  Status AddZone(const EdsCollection& collection, ECalClient* client, ICalComponent* vtimezone,
                 std::set<std::string>* added) {
    GObjectPtr<ICalProperty> tzid(i_cal_component_get_first_property(vtimezone, I_CAL_TZID_PROPERTY));
    const gchar* name = tzid ? i_cal_property_get_tzid(tzid.get()) : nullptr;
    if (name == nullptr || !added->insert(name).second) return Status::Ok();
    GObjectPtr<ICalTimezone> zone(i_cal_timezone_new());
    // The zone takes the copy's component; the wrapper stays ours to drop.
    GObjectPtr<ICalComponent> copy(i_cal_component_clone(vtimezone));
    if (!i_cal_timezone_set_component(zone.get(), copy.get())) {
      return Status(ErrorCode::kMalformedInput, Describe(collection) + ": time zone '" + name + "' cannot be read");
    }
    GError* error = nullptr;
    if (!e_cal_client_add_timezone_sync(client, zone.get(), nullptr, &error)) {
      return FromGError(error, Describe(collection) + ": adding time zone '" + std::string(name) + "'");
    }
    return Status::Ok();
  }

  struct ClientUnref {
    void operator()(EClient* c) const { g_object_unref(c); }
  };
  GObjectPtr<ESourceRegistry> registry_;
  std::string photo_root_;
  std::map<std::pair<EdsKind, std::string>, std::unique_ptr<EClient, ClientUnref>> clients_;
};

}  // namespace

namespace {

Result<std::unique_ptr<EdsStore>> ConnectToEds(std::string photo_root) {
  GError* error = nullptr;
  GObjectPtr<ESourceRegistry> registry(e_source_registry_new_sync(nullptr, &error));
  if (!registry) {
    GErrorPtr owned(error);
    return Status(ErrorCode::kNotFound, std::string("cannot reach Evolution Data Server on the session bus: ") +
                                            (owned ? owned->message : "no reason given") +
                                            " (is there a session bus, DBUS_SESSION_BUS_ADDRESS, and is "
                                            "evolution-data-server installed?)");
  }
  while (photo_root.size() > 1 && photo_root.back() == '/') photo_root.pop_back();
  return std::unique_ptr<EdsStore>(new LibEdsStore(std::move(registry), std::move(photo_root)));
}

}  // namespace
}  // namespace holdfast::platform::eds

// The module's exported symbols, found by eds_module.cc with dlsym: its
// build stamp, checked before anything else is called, and the connection.
extern "C" __attribute__((visibility("default"))) void holdfast_eds_build_stamp_v1(std::string* out) {
  *out = holdfast::platform::eds::EdsBuildStamp();
}

extern "C" __attribute__((visibility("default"))) void holdfast_eds_connect_v1(
    const std::string* photo_root, holdfast::Result<std::unique_ptr<holdfast::platform::eds::EdsStore>>* out) {
  *out = holdfast::platform::eds::ConnectToEds(*photo_root);
}
