// holdfast-eds-tool: fills, reads and writes the Evolution Data Server of the
// current session bus through EDS's own client libraries, for Holdfast's EDS
// tests and benchmark (the independent reference: GNOME's own libraries read
// and write it). Subcommands: populate, add, dump, count, read-all, write-all,
// modify-loop, create-book, modify, remove (see --help of each). Exit status: 0 done, 1 failed (EDS
// refused or is unreachable, a file cannot be read), 2 bad arguments.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/eds/eds_client.h"
#include "tools/eds/eds_gen.h"
#include "tools/handset_gen/jpeg_gen.h"

namespace holdfast::eds_tool {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr size_t kBatch = 500;  // items per add/create call
constexpr const char* kTzid = "Europe/Berlin";

// dump --keep-volatile: nothing left out but photos (for finding out what
// EDS rewrites).
bool g_keep_volatile = false;

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int Fail(const Status& status) {
  std::cerr << "holdfast-eds-tool: " << status.message() << "\n";
  return kExitFailed;
}

// ---- writing

// Frees a GSList of GObjects or ICalComponents.
void FreeObjects(GSList* list) { g_slist_free_full(list, g_object_unref); }

Status AddContacts(Collection& c, std::vector<GRef<EContact>>& contacts) {
  for (size_t from = 0; from < contacts.size(); from += kBatch) {
    GSList* list = nullptr;
    for (size_t i = std::min(contacts.size(), from + kBatch); i > from; --i) {
      list = g_slist_prepend(list, contacts[i - 1].get());
    }
    GError* error = nullptr;
    GSList* uids = nullptr;
    const gboolean ok =
        e_book_client_add_contacts_sync(c.book.get(), list, E_BOOK_OPERATION_FLAG_NONE, &uids, nullptr, &error);
    g_slist_free(list);
    g_slist_free_full(uids, g_free);
    if (!ok) return GErrorStatus("adding contacts to \"" + c.uid + "\"", error);
  }
  return Status::Ok();
}

// Components without RECURRENCE-ID are created in batches; the overridden
// instances of recurring ones (same UID) after them, one by one as a change
// of that instance, as a calendar app makes them (EDS refuses to create a
// second component of a UID in a later request). With `together`, as
// write-all does for the benchmark: the fastest the API allows, every
// component in batches, each instance in the same request as its series,
// which EDS takes.
Status AddComponents(Collection& c, std::vector<GRef<ICalComponent>>& comps, bool together = false) {
  std::vector<ICalComponent*> masters, instances;
  for (auto& comp : comps) {
    ICalProperty* rid = i_cal_component_get_first_property(comp.get(), I_CAL_RECURRENCEID_PROPERTY);
    (rid != nullptr && !together ? instances : masters).push_back(comp.get());
    if (rid != nullptr) g_object_unref(rid);
  }
  // A series first, then its instances, never split across two requests.
  auto key = [](ICalComponent* comp) {
    ICalProperty* rid = i_cal_component_get_first_property(comp, I_CAL_RECURRENCEID_PROPERTY);
    if (rid != nullptr) g_object_unref(rid);
    return std::pair(std::string(i_cal_component_get_uid(comp)), rid != nullptr);
  };
  if (together) {
    std::stable_sort(masters.begin(), masters.end(), [&](ICalComponent* a, ICalComponent* b) { return key(a) < key(b); });
  }
  for (size_t from = 0, to = 0; from < masters.size(); from = to) {
    to = std::min(masters.size(), from + kBatch);
    while (together && to < masters.size() && key(masters[to]).first == key(masters[to - 1]).first) ++to;
    GSList* list = nullptr;
    for (size_t i = to; i > from; --i) {
      list = g_slist_prepend(list, masters[i - 1]);
    }
    GError* error = nullptr;
    GSList* uids = nullptr;
    const gboolean ok =
        e_cal_client_create_objects_sync(c.cal.get(), list, E_CAL_OPERATION_FLAG_NONE, &uids, nullptr, &error);
    g_slist_free(list);
    g_slist_free_full(uids, g_free);
    if (!ok) return GErrorStatus("creating items in \"" + c.uid + "\"", error);
  }
  for (ICalComponent* instance : instances) {
    GError* error = nullptr;
    if (!e_cal_client_modify_object_sync(c.cal.get(), instance, E_CAL_OBJ_MOD_THIS, E_CAL_OPERATION_FLAG_NONE,
                                         nullptr, &error)) {
      return GErrorStatus(std::string("adding the instance ") + i_cal_component_get_uid(instance) + " to \"" +
                              c.uid + "\"",
                          error);
    }
  }
  return Status::Ok();
}

Status AddTimezone(Collection& c, ICalTimezone* zone) {
  GError* error = nullptr;
  if (!e_cal_client_add_timezone_sync(c.cal.get(), zone, nullptr, &error)) {
    return GErrorStatus("adding a timezone to \"" + c.uid + "\"", error);
  }
  return Status::Ok();
}

Result<GRef<ICalComponent>> ParseComponent(const std::string& text) {
  GRef<ICalComponent> comp(i_cal_component_new_from_string(text.c_str()));
  if (!comp) return Status(ErrorCode::kInvalidArgument, "not an iCalendar component: " + text.substr(0, 80));
  return comp;
}

// ---- reading

struct ReadItem {
  std::string uid;  // for sorting: UID, then RECURRENCE-ID
  std::string text;
};

void RemoveProperties(ICalComponent* comp, ICalPropertyKind kind) {
  while (ICalProperty* prop = i_cal_component_get_first_property(comp, kind)) {
    i_cal_component_remove_property(comp, prop);
    g_object_unref(prop);
  }
}

// Every contact; for a dump, photos become a PHOTO-SHA256 line and REV goes;
// otherwise (read-all) photo files are read and inlined, so the text holds
// everything a restore needs.
Result<std::vector<ReadItem>> ReadContacts(Collection& c, bool for_dump, uint64_t* photo_count) {
  EBookQuery* query = e_book_query_any_field_contains("");
  gchar* sexp = e_book_query_to_string(query);
  e_book_query_unref(query);
  GSList* contacts = nullptr;
  GError* error = nullptr;
  const gboolean ok = e_book_client_get_contacts_sync(c.book.get(), sexp, &contacts, nullptr, &error);
  g_free(sexp);
  if (!ok) return GErrorStatus("reading contacts of \"" + c.uid + "\"", error);
  std::vector<ReadItem> items;
  Status status;
  for (GSList* l = contacts; l != nullptr && status.ok(); l = l->next) {
    EContact* contact = E_CONTACT(l->data);
    ReadItem item;
    const char* uid = static_cast<const char*>(e_contact_get_const(contact, E_CONTACT_UID));
    item.uid = uid != nullptr ? uid : "";
    auto photo = ContactPhotoBytes(contact);
    if (!photo) {
      status = photo.error().WithContext("contact " + item.uid);
      break;
    }
    if (!photo->empty() && photo_count != nullptr) ++*photo_count;
    if (for_dump) {
      if (!g_keep_volatile) e_vcard_remove_attributes(E_VCARD(contact), nullptr, EVC_REV);
      e_vcard_remove_attributes(E_VCARD(contact), nullptr, EVC_PHOTO);
    } else if (!photo->empty()) {
      EContactPhoto inlined{};
      inlined.type = E_CONTACT_PHOTO_TYPE_INLINED;
      inlined.data.inlined.mime_type = const_cast<gchar*>("image/jpeg");
      inlined.data.inlined.data = reinterpret_cast<guchar*>(photo->data());
      inlined.data.inlined.length = photo->size();
      e_contact_set(contact, E_CONTACT_PHOTO, &inlined);
    }
    gchar* text = e_vcard_to_string(E_VCARD(contact), EVC_FORMAT_VCARD_30);
    item.text = text;
    g_free(text);
    if (for_dump) {
      item.text = UnixLines(std::move(item.text));
      if (!item.text.empty() && item.text.back() != '\n') item.text += '\n';
      if (!photo->empty()) item.text += "PHOTO-SHA256:" + Sha256Hex(*photo) + "\n";
    }
    items.push_back(std::move(item));
  }
  FreeObjects(contacts);
  if (!status.ok()) return status;
  return items;
}

// The properties EDS rewrites itself, left out of dumps. Measured on EDS
// 3.46.4: on create, EDS keeps DTSTAMP, CREATED and LAST-MODIFIED as given
// (and sets the missing ones to now); an overridden instance, which can only
// be added as a change of its series, gets LAST-MODIFIED = now whatever it
// said.
const ICalPropertyKind kVolatileCalProperties[] = {I_CAL_LASTMODIFIED_PROPERTY};

// Every component; `tzids` collects the TZIDs they use (read-all saves
// those timezones with them).
Result<std::vector<ReadItem>> ReadComponents(Collection& c, bool for_dump, std::vector<std::string>* zones) {
  GSList* comps = nullptr;
  GError* error = nullptr;
  if (!e_cal_client_get_object_list_sync(c.cal.get(), "#t", &comps, nullptr, &error)) {
    return GErrorStatus(std::string("reading ") + KindName(c.kind) + " of \"" + c.uid + "\"", error);
  }
  std::vector<ReadItem> items;
  std::map<std::string, bool> tzids;
  for (GSList* l = comps; l != nullptr; l = l->next) {
    auto* comp = static_cast<ICalComponent*>(l->data);
    ReadItem item;
    const char* uid = i_cal_component_get_uid(comp);
    item.uid = uid != nullptr ? uid : "";
    ICalProperty* rid = i_cal_component_get_first_property(comp, I_CAL_RECURRENCEID_PROPERTY);
    if (rid != nullptr) {
      gchar* value = i_cal_property_get_value_as_string(rid);  // ours to free
      item.uid += std::string(" RECURRENCE-ID:") + (value != nullptr ? value : "");
      g_free(value);
      g_object_unref(rid);
    }
    if (for_dump && !g_keep_volatile) {
      for (ICalPropertyKind kind : kVolatileCalProperties) RemoveProperties(comp, kind);
    } else if (zones != nullptr) {
      for (ICalProperty* p = i_cal_component_get_first_property(comp, I_CAL_ANY_PROPERTY); p != nullptr;) {
        ICalParameter* param = i_cal_property_get_first_parameter(p, I_CAL_TZID_PARAMETER);
        if (param != nullptr) {
          tzids[i_cal_parameter_get_tzid(param)] = true;
          g_object_unref(param);
        }
        g_object_unref(p);
        p = i_cal_component_get_next_property(comp, I_CAL_ANY_PROPERTY);
      }
    }
    gchar* text = i_cal_component_as_ical_string(comp);
    item.text = for_dump ? UnixLines(text) : std::string(text);
    g_free(text);
    items.push_back(std::move(item));
  }
  FreeObjects(comps);
  if (zones != nullptr) {
    for (const auto& [tzid, unused] : tzids) {
      ICalTimezone* zone = nullptr;
      GError* tz_error = nullptr;
      if (!e_cal_client_get_timezone_sync(c.cal.get(), tzid.c_str(), &zone, nullptr, &tz_error)) {
        return GErrorStatus("timezone \"" + tzid + "\" of \"" + c.uid + "\"", tz_error);
      }
      ICalComponent* vtz = i_cal_timezone_get_component(zone);  // owned by the client's cache
      gchar* text = i_cal_component_as_ical_string(vtz);
      zones->push_back(text);
      g_free(text);
      g_object_unref(vtz);
    }
  }
  return items;
}

Result<std::vector<ReadItem>> ReadItems(Collection& c, bool for_dump, std::vector<std::string>* zones,
                                        uint64_t* photo_count) {
  if (c.kind == Kind::kContacts) return ReadContacts(c, for_dump, photo_count);
  return ReadComponents(c, for_dump, zones);
}

// ---- subcommands

struct Target {
  std::string collection;  // empty: the default of kind
  std::string kind = "contacts";
};

int Populate(int contacts, int events, int tasks, int memos, int photos, uint64_t seed,
             const std::map<Kind, std::string>& uids) {
  const auto start = Clock::now();
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  uint64_t written = 0;
  if (contacts > 0) {
    auto c = (*eds)->Open(Kind::kContacts, uids.at(Kind::kContacts));
    if (!c) return Fail(c.error());
    std::vector<GRef<EContact>> list;
    // Photos go to evenly spread contacts.
    const int step = photos > 0 ? std::max(1, contacts / photos) : 0;
    int given = 0;
    for (int i = 1; i <= contacts; ++i) {
      GRef<EContact> contact(e_contact_new_from_vcard(ContactVcard(seed, i).c_str()));
      if (photos > 0 && given < photos && (i - 1) % step == 0) {
        auto jpeg = handset_gen::MakeAvatarJpeg(seed * 1000003u + static_cast<uint64_t>(i));
        if (!jpeg) return Fail(jpeg.error());
        EContactPhoto photo{};
        photo.type = E_CONTACT_PHOTO_TYPE_INLINED;
        photo.data.inlined.mime_type = const_cast<gchar*>("image/jpeg");
        photo.data.inlined.data = reinterpret_cast<guchar*>(jpeg->data());
        photo.data.inlined.length = jpeg->size();
        e_contact_set(contact.get(), E_CONTACT_PHOTO, &photo);
        ++given;
      }
      list.push_back(std::move(contact));
    }
    if (Status s = AddContacts(*c, list); !s.ok()) return Fail(s);
    written += list.size();
  }
  struct CalWork {
    Kind kind;
    int count;
  };
  for (CalWork work : {CalWork{Kind::kEvents, events}, CalWork{Kind::kTasks, tasks}, CalWork{Kind::kMemos, memos}}) {
    if (work.count <= 0) continue;
    auto c = (*eds)->Open(work.kind, uids.at(work.kind));
    if (!c) return Fail(c.error());
    ICalTimezone* zone = i_cal_timezone_get_builtin_timezone(kTzid);  // not owned
    if (zone == nullptr) return Fail(Status(ErrorCode::kNotFound, std::string("libical knows no ") + kTzid));
    const std::string tzid = i_cal_timezone_get_tzid(zone);
    bool zone_added = false;
    std::vector<GRef<ICalComponent>> comps;
    for (int i = 1; i <= work.count; ++i) {
      std::vector<std::string> texts;
      if (work.kind == Kind::kEvents) {
        EventParts parts = MakeEvent(seed, i, tzid);
        if (parts.uses_tzid && !zone_added) {
          if (Status s = AddTimezone(*c, zone); !s.ok()) return Fail(s);
          zone_added = true;
        }
        texts.push_back(parts.vevent);
        if (!parts.override_vevent.empty()) texts.push_back(parts.override_vevent);
      } else {
        texts.push_back(work.kind == Kind::kTasks ? TaskVtodo(seed, i) : MemoVjournal(seed, i));
      }
      for (const auto& text : texts) {
        auto comp = ParseComponent(text);
        if (!comp) return Fail(comp.error());
        comps.push_back(std::move(*comp));
      }
    }
    if (Status s = AddComponents(*c, comps); !s.ok()) return Fail(s);
    written += static_cast<uint64_t>(work.count);
  }
  std::printf("{\"op\":\"populate\",\"items\":%llu,\"photos\":%d,\"ms\":%.1f}\n",
              static_cast<unsigned long long>(written), std::min(photos, contacts), MsSince(start));
  return kExitOk;
}

// The vCards of a .vcf file, each from BEGIN:VCARD to END:VCARD.
std::vector<std::string> SplitVcards(const std::string& text) {
  std::vector<std::string> cards;
  size_t pos = 0;
  while (true) {
    const size_t begin = text.find("BEGIN:VCARD", pos);
    if (begin == std::string::npos) break;
    size_t end = text.find("END:VCARD", begin);
    if (end == std::string::npos) end = text.size();
    end = std::min(text.size(), end + 9);
    cards.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  return cards;
}

int Add(const Target& target, const std::string& file) {
  auto kind = ParseKind(target.kind);
  if (!kind) return Fail(kind.error());
  auto text = ReadWholeFile(file);
  if (!text) return Fail(text.error());
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  const std::string uid = target.collection.empty() ? DefaultCollection(*kind) : target.collection;
  auto c = (*eds)->Open(*kind, uid);
  if (!c) return Fail(c.error());
  size_t added = 0;
  if (*kind == Kind::kContacts) {
    std::vector<GRef<EContact>> contacts;
    for (const auto& card : SplitVcards(*text)) contacts.emplace_back(e_contact_new_from_vcard(card.c_str()));
    if (Status s = AddContacts(*c, contacts); !s.ok()) return Fail(s);
    added = contacts.size();
  } else {
    GRef<ICalComponent> root(i_cal_parser_parse_string(text->c_str()));
    if (!root) return Fail(Status(ErrorCode::kInvalidArgument, file + ": not iCalendar"));
    std::vector<GRef<ICalComponent>> comps;
    auto take = [&](ICalComponent* comp) {
      if (i_cal_component_isa(comp) == I_CAL_VTIMEZONE_COMPONENT) {
        GRef<ICalTimezone> zone(i_cal_timezone_new());
        i_cal_timezone_set_component(zone.get(), comp);
        return AddTimezone(*c, zone.get());
      }
      if (i_cal_component_isa(comp) == IcalKind(*kind)) comps.emplace_back(i_cal_component_clone(comp));
      return Status::Ok();
    };
    if (i_cal_component_isa(root.get()) == I_CAL_VCALENDAR_COMPONENT) {
      for (ICalComponent* sub = i_cal_component_get_first_component(root.get(), I_CAL_ANY_COMPONENT);
           sub != nullptr;) {
        Status s = take(sub);
        g_object_unref(sub);
        if (!s.ok()) return Fail(s);
        sub = i_cal_component_get_next_component(root.get(), I_CAL_ANY_COMPONENT);
      }
    } else if (Status s = take(root.get()); !s.ok()) {
      return Fail(s);
    }
    if (Status s = AddComponents(*c, comps); !s.ok()) return Fail(s);
    added = comps.size();
  }
  std::printf("added %zu %s to %s\n", added, KindName(*kind), uid.c_str());
  return kExitOk;
}

std::vector<std::pair<Kind, std::string>> Targets(const Target& target, bool all) {
  std::vector<std::pair<Kind, std::string>> out;
  if (all || target.collection.empty()) {
    for (Kind kind : kAllKinds) out.emplace_back(kind, DefaultCollection(kind));
    return out;
  }
  auto kind = ParseKind(target.kind);
  out.emplace_back(kind ? *kind : Kind::kContacts, target.collection);
  return out;
}

int Dump(const Target& target, bool all, bool count_only) {
  if (!target.collection.empty() && !ParseKind(target.kind)) return Fail(ParseKind(target.kind).error());
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  for (const auto& [kind, uid] : Targets(target, all)) {
    auto c = (*eds)->Open(kind, uid);
    if (!c) return Fail(c.error());
    auto items = ReadItems(*c, true, nullptr, nullptr);
    if (!items) return Fail(items.error());
    if (count_only) {
      std::printf("%s %s %zu\n", uid.c_str(), KindName(kind), items->size());
      continue;
    }
    std::sort(items->begin(), items->end(), [](const ReadItem& a, const ReadItem& b) { return a.uid < b.uid; });
    std::printf("=== %s %s %zu\n", uid.c_str(), KindName(kind), items->size());
    for (const auto& item : *items) std::printf("--- %s\n%s", item.uid.c_str(), item.text.c_str());
  }
  return kExitOk;
}

// The file of read-all --out and write-all: a header line, then records
// "ITEM|ZONE <kind> <collection> <byte count>\n<bytes>\n".
constexpr const char* kDumpHeader = "holdfast-eds-tool items 1\n";

int ReadAll(const std::string& out_path) {
  const auto start = Clock::now();
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  uint64_t items_total = 0, bytes = 0, photos = 0;
  std::string out;
  for (Kind kind : kAllKinds) {
    auto c = (*eds)->Open(kind, DefaultCollection(kind));
    if (!c) return Fail(c.error());
    std::vector<std::string> zones;
    auto items = ReadItems(*c, false, &zones, &photos);
    if (!items) return Fail(items.error());
    items_total += items->size();
    for (const auto& item : *items) bytes += item.text.size();
    for (const auto& zone : zones) bytes += zone.size();
    if (out_path.empty()) continue;
    auto record = [&](const char* type, const std::string& text) {
      out += std::string(type) + " " + KindName(kind) + " " + c->uid + " " + std::to_string(text.size()) + "\n" +
             text + "\n";
    };
    for (const auto& zone : zones) record("ZONE", zone);
    for (const auto& item : *items) record("ITEM", item.text);
  }
  const double ms = MsSince(start);
  if (!out_path.empty()) {
    std::ofstream file(out_path, std::ios::binary | std::ios::trunc);
    file << kDumpHeader << out;
    file.close();
    if (!file) return Fail(Status(ErrorCode::kIoError, out_path + ": cannot write"));
  }
  std::printf("{\"op\":\"read-all\",\"items\":%llu,\"photos\":%llu,\"bytes\":%llu,\"ms\":%.1f}\n",
              static_cast<unsigned long long>(items_total), static_cast<unsigned long long>(photos),
              static_cast<unsigned long long>(bytes), ms);
  return kExitOk;
}

struct Record {
  std::string type, kind, collection, text;
};

Result<std::vector<Record>> ParseItemsFile(const std::string& path) {
  auto data = ReadWholeFile(path);
  if (!data) return data.error();
  const std::string header = kDumpHeader;
  if (data->compare(0, header.size(), header) != 0) {
    return Status(ErrorCode::kInvalidArgument, path + ": not a file of holdfast-eds-tool read-all --out");
  }
  std::vector<Record> records;
  size_t pos = header.size();
  while (pos < data->size()) {
    const size_t eol = data->find('\n', pos);
    if (eol == std::string::npos) return Status(ErrorCode::kInvalidArgument, path + ": truncated record");
    Record r;
    size_t size = 0;
    std::istringstream head(data->substr(pos, eol - pos));
    if (!(head >> r.type >> r.kind >> r.collection >> size) || eol + 1 + size + 1 > data->size()) {
      return Status(ErrorCode::kInvalidArgument, path + ": bad record at byte " + std::to_string(pos));
    }
    r.text = data->substr(eol + 1, size);
    pos = eol + 1 + size + 1;
    records.push_back(std::move(r));
  }
  return records;
}

int WriteAll(const std::string& path) {
  auto records = ParseItemsFile(path);
  if (!records) return Fail(records.error());
  // Parsing the file is not EDS's work: the clock starts at the connection.
  const auto start = Clock::now();
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  uint64_t items = 0, bytes = 0;
  for (Kind kind : kAllKinds) {
    std::map<std::string, std::vector<const Record*>> by_collection;
    for (const auto& r : *records) {
      if (r.kind == KindName(kind)) by_collection[r.collection].push_back(&r);
    }
    for (const auto& [uid, list] : by_collection) {
      auto c = (*eds)->Open(kind, uid);
      if (!c) return Fail(c.error());
      std::vector<GRef<EContact>> contacts;
      std::vector<GRef<ICalComponent>> comps;
      for (const Record* r : list) {
        bytes += r->text.size();
        if (kind == Kind::kContacts) {
          contacts.emplace_back(e_contact_new_from_vcard(r->text.c_str()));
          continue;
        }
        auto comp = ParseComponent(r->text);
        if (!comp) return Fail(comp.error());
        if (r->type == "ZONE") {
          GRef<ICalTimezone> zone(i_cal_timezone_new());
          i_cal_timezone_set_component(zone.get(), comp->get());
          if (Status s = AddTimezone(*c, zone.get()); !s.ok()) return Fail(s);
        } else {
          comps.push_back(std::move(*comp));
        }
      }
      items += contacts.size() + comps.size();
      if (Status s = kind == Kind::kContacts ? AddContacts(*c, contacts) : AddComponents(*c, comps, /*together=*/true);
          !s.ok()) {
        return Fail(s);
      }
    }
  }
  std::printf("{\"op\":\"write-all\",\"items\":%llu,\"bytes\":%llu,\"ms\":%.1f}\n",
              static_cast<unsigned long long>(items), static_cast<unsigned long long>(bytes), MsSince(start));
  return kExitOk;
}

int ModifyLoop(const std::string& uid, int count) {
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  auto c = (*eds)->Open(Kind::kContacts, uid);
  if (!c) return Fail(c.error());
  int failures = 0;
  // Even writes add a contact, odd ones change the one just added.
  const std::string prefix = "eds-modify-loop-" + std::to_string(getpid()) + "-";
  GRef<EContact> last;
  for (int i = 0; i < count; ++i) {
    const bool add = i % 2 == 0 || !last;
    std::string error_text;
    const auto start = Clock::now();
    GError* error = nullptr;
    gboolean ok = FALSE;
    if (add) {
      std::string card = ContactVcard(static_cast<uint64_t>(getpid()), i);
      GRef<EContact> contact(e_contact_new_from_vcard(card.c_str()));
      e_contact_set(contact.get(), E_CONTACT_UID, (prefix + std::to_string(i)).c_str());
      gchar* new_uid = nullptr;
      ok = e_book_client_add_contact_sync(c->book.get(), contact.get(), E_BOOK_OPERATION_FLAG_NONE, &new_uid,
                                          nullptr, &error);
      g_free(new_uid);
      if (ok) last = std::move(contact);
    } else {
      e_contact_set(last.get(), E_CONTACT_NOTE, ("changed by write " + std::to_string(i)).c_str());
      ok = e_book_client_modify_contact_sync(c->book.get(), last.get(), E_BOOK_OPERATION_FLAG_NONE, nullptr,
                                             &error);
    }
    const double ms = MsSince(start);
    if (ok) {
      std::printf("write %d %s ok %.2f ms\n", i, add ? "add" : "modify", ms);
    } else {
      ++failures;
      std::printf("write %d %s error: %s %.2f ms\n", i, add ? "add" : "modify",
                  error != nullptr ? error->message : "unknown", ms);
      if (error != nullptr) g_error_free(error);
    }
    std::fflush(stdout);
  }
  std::printf("%d of %d writes failed\n", failures, count);
  return failures == 0 ? kExitOk : kExitFailed;
}

// create-book: a local address book (a child of "local-stub", as EDS's own
// clients make one), registered with the session's source registry.
int CreateBook(const std::string& uid, const std::string& name) {
  GError* error = nullptr;
  GRef<ESourceRegistry> registry(e_source_registry_new_sync(nullptr, &error));
  if (!registry) return Fail(GErrorStatus("EDS source registry of the session bus", error));
  GRef<ESource> source(e_source_new_with_uid(uid.c_str(), nullptr, &error));
  if (!source) return Fail(GErrorStatus("a new ESource \"" + uid + "\"", error));
  e_source_set_parent(source.get(), "local-stub");
  e_source_set_display_name(source.get(), name.c_str());
  auto* book = static_cast<ESourceBackend*>(e_source_get_extension(source.get(), E_SOURCE_EXTENSION_ADDRESS_BOOK));
  e_source_backend_set_backend_name(book, "local");
  if (!e_source_registry_commit_source_sync(registry.get(), source.get(), nullptr, &error)) {
    return Fail(GErrorStatus("registering the address book \"" + uid + "\"", error));
  }
  // Wait until the registry lists it, so that a client started next finds it.
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  auto c = (*eds)->Open(Kind::kContacts, uid);
  if (!c) return Fail(c.error());
  std::printf("created address book %s\n", uid.c_str());
  return kExitOk;
}

// modify: one item changed in place (a contact's NOTE, a calendar item's
// SUMMARY), as another client on the phone would.
int Modify(const Target& target, const std::string& item_uid, const std::string& text) {
  auto kind = ParseKind(target.kind);
  if (!kind) return Fail(kind.error());
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  const std::string uid = target.collection.empty() ? DefaultCollection(*kind) : target.collection;
  auto c = (*eds)->Open(*kind, uid);
  if (!c) return Fail(c.error());
  GError* error = nullptr;
  if (*kind == Kind::kContacts) {
    EContact* raw = nullptr;
    if (!e_book_client_get_contact_sync(c->book.get(), item_uid.c_str(), &raw, nullptr, &error)) {
      return Fail(GErrorStatus("contact " + item_uid + " of \"" + uid + "\"", error));
    }
    GRef<EContact> contact(raw);
    e_contact_set(contact.get(), E_CONTACT_NOTE, text.c_str());
    if (!e_book_client_modify_contact_sync(c->book.get(), contact.get(), E_BOOK_OPERATION_FLAG_NONE, nullptr,
                                           &error)) {
      return Fail(GErrorStatus("changing contact " + item_uid + " of \"" + uid + "\"", error));
    }
  } else {
    ICalComponent* raw = nullptr;
    if (!e_cal_client_get_object_sync(c->cal.get(), item_uid.c_str(), nullptr, &raw, nullptr, &error)) {
      return Fail(GErrorStatus("item " + item_uid + " of \"" + uid + "\"", error));
    }
    GRef<ICalComponent> comp(raw);
    i_cal_component_set_summary(comp.get(), text.c_str());
    if (!e_cal_client_modify_object_sync(c->cal.get(), comp.get(), E_CAL_OBJ_MOD_ALL, E_CAL_OPERATION_FLAG_NONE,
                                         nullptr, &error)) {
      return Fail(GErrorStatus("changing item " + item_uid + " of \"" + uid + "\"", error));
    }
  }
  std::printf("modified %s in %s\n", item_uid.c_str(), uid.c_str());
  return kExitOk;
}

// remove: items deleted by UID (a recurring event with all its instances).
int Remove(const Target& target, const std::vector<std::string>& item_uids) {
  auto kind = ParseKind(target.kind);
  if (!kind) return Fail(kind.error());
  auto eds = Eds::Connect();
  if (!eds) return Fail(eds.error());
  const std::string uid = target.collection.empty() ? DefaultCollection(*kind) : target.collection;
  auto c = (*eds)->Open(*kind, uid);
  if (!c) return Fail(c.error());
  for (const std::string& item_uid : item_uids) {
    GError* error = nullptr;
    const gboolean ok =
        *kind == Kind::kContacts
            ? e_book_client_remove_contact_by_uid_sync(c->book.get(), item_uid.c_str(), E_BOOK_OPERATION_FLAG_NONE,
                                                       nullptr, &error)
            : e_cal_client_remove_object_sync(c->cal.get(), item_uid.c_str(), nullptr, E_CAL_OBJ_MOD_ALL,
                                              E_CAL_OPERATION_FLAG_NONE, nullptr, &error);
    if (!ok) return Fail(GErrorStatus("removing " + item_uid + " from \"" + uid + "\"", error));
  }
  std::printf("removed %zu %s from %s\n", item_uids.size(), KindName(*kind), uid.c_str());
  return kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App app{"Fills, reads and writes the Evolution Data Server of the session bus through EDS's own "
               "libraries (libebook, libecal): the reference for Holdfast's EDS tests and benchmark."};
  app.require_subcommand(1);

  auto* populate = app.add_subcommand("populate", "create deterministic items in batches");
  int contacts = 0, events = 0, tasks = 0, memos = 0, photos = 0;
  uint64_t seed = 1;
  std::map<Kind, std::string> uids;
  for (Kind kind : kAllKinds) uids[kind] = DefaultCollection(kind);
  populate->add_option("--contacts", contacts, "number of contacts")->check(CLI::NonNegativeNumber);
  populate->add_option("--events", events, "number of events")->check(CLI::NonNegativeNumber);
  populate->add_option("--tasks", tasks, "number of tasks")->check(CLI::NonNegativeNumber);
  populate->add_option("--memos", memos, "number of memos")->check(CLI::NonNegativeNumber);
  populate->add_option("--photos", photos, "contacts with an inline JPEG photo")->check(CLI::NonNegativeNumber);
  populate->add_option("--seed", seed, "seed: the same seed gives the same items");
  populate->add_option("--book", uids[Kind::kContacts], "address book UID");
  populate->add_option("--calendar", uids[Kind::kEvents], "calendar UID");
  populate->add_option("--task-list", uids[Kind::kTasks], "task list UID");
  populate->add_option("--memo-list", uids[Kind::kMemos], "memo list UID");

  Target target;
  std::string file;
  auto* add = app.add_subcommand("add", "add the items of a .vcf or .ics file");
  add->add_option("--collection", target.collection, "collection UID (default: the kind's system one)");
  add->add_option("--kind", target.kind, "contacts, events, tasks or memos")->required();
  add->add_option("FILE", file, ".vcf or .ics file")->required();

  bool all = false;
  auto* dump = app.add_subcommand(
      "dump",
      "every item, sorted by UID, in a comparable form: REV of vCards and LAST-MODIFIED of calendar items "
      "(which EDS sets itself) left out, photos as PHOTO-SHA256 lines");
  auto* count = app.add_subcommand("count", "number of items per collection (an overridden instance of a recurring event counts as an item)");
  for (auto* sub : {dump, count}) {
    sub->add_option("--collection", target.collection, "collection UID (default: the four system ones)");
    sub->add_option("--kind", target.kind, "contacts, events, tasks or memos");
    sub->add_flag("--all", all, "the four system collections");
    sub->add_flag("--keep-volatile", g_keep_volatile, "keep REV, LAST-MODIFIED (still hash photos)");
  }

  std::string out_path;
  auto* read_all = app.add_subcommand("read-all", "read every item of the four system collections, timed");
  read_all->add_option("--out", out_path, "save the items (photos inlined) for write-all");
  auto* write_all = app.add_subcommand("write-all", "add the items of a read-all --out file in batches, timed");
  write_all->add_option("FILE", file, "file of read-all --out")->required();

  int loop_count = 0;
  std::string loop_uid = DefaultCollection(Kind::kContacts);
  auto* modify_loop = app.add_subcommand("modify-loop", "add and change contacts one by one, each timed");
  modify_loop->add_option("--collection", loop_uid, "address book UID");
  modify_loop->add_option("--count", loop_count, "number of writes")->required()->check(CLI::PositiveNumber);

  std::string book_uid, book_name;
  auto* create_book = app.add_subcommand("create-book", "register a new local address book with EDS");
  create_book->add_option("--uid", book_uid, "UID of the new ESource")->required();
  create_book->add_option("--name", book_name, "its display name")->required();

  std::string item_uid, new_text;
  auto* modify = app.add_subcommand("modify", "change one item: a contact's NOTE, a calendar item's SUMMARY");
  modify->add_option("--collection", target.collection, "collection UID (default: the kind's system one)");
  modify->add_option("--kind", target.kind, "contacts, events, tasks or memos")->required();
  modify->add_option("--uid", item_uid, "the item's UID")->required();
  modify->add_option("--text", new_text, "the new NOTE or SUMMARY")->required();

  std::vector<std::string> remove_uids;
  auto* remove = app.add_subcommand("remove", "delete items by UID (a recurring event with its instances)");
  remove->add_option("--collection", target.collection, "collection UID (default: the kind's system one)");
  remove->add_option("--kind", target.kind, "contacts, events, tasks or memos")->required();
  remove->add_option("UID", remove_uids, "UIDs of the items")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (populate->parsed()) return Populate(contacts, events, tasks, memos, photos, seed, uids);
  if (add->parsed()) return Add(target, file);
  if (dump->parsed()) return Dump(target, all, false);
  if (count->parsed()) return Dump(target, all, true);
  if (read_all->parsed()) return ReadAll(out_path);
  if (write_all->parsed()) return WriteAll(file);
  if (modify_loop->parsed()) return ModifyLoop(loop_uid, loop_count);
  if (create_book->parsed()) return CreateBook(book_uid, book_name);
  if (modify->parsed()) return Modify(target, item_uid, new_text);
  if (remove->parsed()) return Remove(target, remove_uids);
  return kExitUsage;
}

}  // namespace
}  // namespace holdfast::eds_tool

int main(int argc, char** argv) {
  try {
    return holdfast::eds_tool::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "holdfast-eds-tool: internal error: " << e.what() << "\n";
    return 1;
  }
}
