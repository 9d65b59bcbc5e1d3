#include "tools/eds/eds_client.h"

#include <fstream>
#include <sstream>

namespace holdfast::eds_tool {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kContacts: return "contacts";
    case Kind::kEvents: return "events";
    case Kind::kTasks: return "tasks";
    case Kind::kMemos: return "memos";
  }
  return "?";
}

const char* DefaultCollection(Kind kind) {
  switch (kind) {
    case Kind::kContacts: return "system-address-book";
    case Kind::kEvents: return "system-calendar";
    case Kind::kTasks: return "system-task-list";
    case Kind::kMemos: return "system-memo-list";
  }
  return "?";
}

Result<Kind> ParseKind(const std::string& name) {
  for (Kind kind : kAllKinds) {
    if (name == KindName(kind)) return kind;
  }
  return Status(ErrorCode::kInvalidArgument,
                "kind \"" + name + "\": expected contacts, events, tasks or memos");
}

ICalComponentKind IcalKind(Kind kind) {
  switch (kind) {
    case Kind::kEvents: return I_CAL_VEVENT_COMPONENT;
    case Kind::kTasks: return I_CAL_VTODO_COMPONENT;
    case Kind::kMemos: return I_CAL_VJOURNAL_COMPONENT;
    case Kind::kContacts: break;
  }
  return I_CAL_NO_COMPONENT;
}

Status GErrorStatus(const std::string& context, GError* error) {
  std::string message = error != nullptr ? error->message : "unknown error";
  if (error != nullptr) g_error_free(error);
  return Status(ErrorCode::kNotFound, context + ": " + message);
}

Result<std::unique_ptr<Eds>> Eds::Connect() {
  GError* error = nullptr;
  ESourceRegistry* registry = e_source_registry_new_sync(nullptr, &error);
  if (registry == nullptr) {
    return GErrorStatus("EDS source registry of the session bus", error);
  }
  auto eds = std::make_unique<Eds>();
  eds->registry_.reset(registry);
  return eds;
}

Result<Collection> Eds::Open(Kind kind, const std::string& uid) {
  GRef<ESource> source(e_source_registry_ref_source(registry_.get(), uid.c_str()));
  if (!source) {
    return Status(ErrorCode::kNotFound, "EDS collection \"" + uid + "\": no such ESource");
  }
  Collection collection;
  collection.kind = kind;
  collection.uid = uid;
  GError* error = nullptr;
  // (guint32)-1: wait for the backend however long it takes; a finite wait
  // also waits that long for the source to be "online".
  const auto wait_forever = static_cast<guint32>(-1);
  if (kind == Kind::kContacts) {
    EClient* client = e_book_client_connect_sync(source.get(), wait_forever, nullptr, &error);
    if (client == nullptr) return GErrorStatus("address book \"" + uid + "\"", error);
    collection.book.reset(E_BOOK_CLIENT(client));
  } else {
    const ECalClientSourceType type = kind == Kind::kEvents  ? E_CAL_CLIENT_SOURCE_TYPE_EVENTS
                                      : kind == Kind::kTasks ? E_CAL_CLIENT_SOURCE_TYPE_TASKS
                                                             : E_CAL_CLIENT_SOURCE_TYPE_MEMOS;
    EClient* client = e_cal_client_connect_sync(source.get(), type, wait_forever, nullptr, &error);
    if (client == nullptr) {
      return GErrorStatus(std::string(KindName(kind)) + " collection \"" + uid + "\"", error);
    }
    collection.cal.reset(E_CAL_CLIENT(client));
  }
  return collection;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kNotFound, path + ": cannot open");
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status(ErrorCode::kIoError, path + ": read error");
  return out.str();
}

std::string Sha256Hex(const std::string& bytes) {
  GChecksum* sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(sum, reinterpret_cast<const guchar*>(bytes.data()), static_cast<gssize>(bytes.size()));
  std::string hex = g_checksum_get_string(sum);
  g_checksum_free(sum);
  return hex;
}

Result<std::string> ContactPhotoBytes(EContact* contact) {
  auto* photo = static_cast<EContactPhoto*>(e_contact_get(contact, E_CONTACT_PHOTO));
  if (photo == nullptr) return std::string();
  std::string bytes;
  Status status;
  if (photo->type == E_CONTACT_PHOTO_TYPE_INLINED) {
    bytes.assign(reinterpret_cast<const char*>(photo->data.inlined.data), photo->data.inlined.length);
  } else if (photo->data.uri != nullptr) {
    gchar* path = g_filename_from_uri(photo->data.uri, nullptr, nullptr);
    if (path == nullptr) {
      status = Status(ErrorCode::kInvalidArgument, std::string("photo URI ") + photo->data.uri +
                                                       " is not a local file");
    } else {
      auto read = ReadWholeFile(path);
      g_free(path);
      if (read) {
        bytes = std::move(*read);
      } else {
        status = read.error();
      }
    }
  }
  e_contact_photo_free(photo);
  if (!status.ok()) return status;
  return bytes;
}

std::string UnixLines(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

}  // namespace holdfast::eds_tool
