#include "tests/integration/campaign_tree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <sstream>
#include <stdexcept>

#include "platform/sha256.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing::campaign {
namespace {

namespace fs = std::filesystem;

constexpr int kPhotoSource = 3;
constexpr const char* kIcsHeader = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//holdfast campaign//EN\r\n";
constexpr const char* kIcsFooter = "END:VCALENDAR\r\n";
// push.cc sends content over 1 MiB as a blob; vCards stay below unless the
// large-contact class is on.
constexpr size_t kInlineLimitBytes = size_t{1} << 20;
// The longest uid wire form the protocol carries (docs/protocol.md).
constexpr size_t kMaxWireUidBytes = 8192;

class Gen {
 public:
  Gen(uint64_t seed, const Classes& classes) : rng_(seed), classes_(classes) {}

  Tree Make(uint64_t seed) {
    tree_.seed = seed;
    const int contacts = Between(2, 10), events = Between(1, 7), tasks = Between(0, 4), photos = Between(2, 10);
    for (int i = 0; i < contacts; ++i) AddPimFile(0, PickFolder(0));
    for (int i = 0; i < events; ++i) AddPimFile(1, PickFolder(1));
    for (int i = 0; i < tasks; ++i) AddPimFile(2, PickFolder(2));
    for (int i = 0; i < photos; ++i) AddPhoto();
    for (int s = 4; s < 6; ++s) {
      if (classes_.fifo_source && Chance(0.08)) {
        tree_.entries.push_back({s, "", EntryType::kFifo, "", {}, "", "fifo-source"});
        tree_.drawn.insert("fifo_source");
      } else if (Chance(0.6)) {
        AddExportFile(s);
      }
    }
    if (Chance(0.4)) AddDuplicateUid();
    if (Chance(0.3)) AddSpecial();
    if (Chance(0.3)) AddSpecial();
    return std::move(tree_);
  }

 private:
  int Between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::string RandomBytes(size_t n) {
    std::string bytes(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      uint64_t word = rng_();
      std::memcpy(&bytes[i], &word, std::min<size_t>(8, n - i));
    }
    return bytes;
  }

  // A collection folder of a vdir source ("" for the source's root itself).
  std::string PickFolder(int source) {
    static const char* kAscii[] = {"personal", "work", "home"};
    const int style = Between(0, 9);
    if (style < 2) return "";
    if (style < 7 || !classes_.unsafe_collection_names) return kAscii[source == 0 ? Between(0, 1) : Between(1, 2)];
    tree_.drawn.insert("unsafe_collection_names");
    if (style < 9 || !classes_.non_utf8_names) return "Fam\xc3\xa9lia \xf0\x9f\x8c\xb4";
    tree_.drawn.insert("non_utf8_names");
    return "fam\xe9lia";  // Latin-1
  }

  // A file name, unique in its folder, with the extension given.
  std::string Name(int source, const std::string& folder, const std::string& extension, std::string* label) {
    const int n = counter_++;
    const std::string num = std::to_string(n);
    std::string stem;
    switch (Between(0, 11)) {
      case 0: case 1: case 2: stem = "item-" + num; *label += "ascii "; break;
      case 3: stem = "Zo\xc3\xab M\xc3\xbcller " + num; *label += "utf8 "; break;
      case 4: stem = "\xf0\x9f\x8e\x89 party " + num; *label += "emoji "; break;
      case 5: stem = "-rf " + num; *label += "leading-dash "; break;
      case 6: stem = " two  spaces " + num + " "; *label += "spaces "; break;
      case 7:
        if (!classes_.non_utf8_names) return Name(source, folder, extension, label);
        stem = "Fran\xe7ois " + num;
        *label += "latin1-name ";
        tree_.drawn.insert("non_utf8_names");
        break;
      case 8:
        if (!classes_.non_utf8_names) return Name(source, folder, extension, label);
        stem = "bad\xff\xfe\xc3(" + num;
        *label += "invalid-utf8-name ";
        tree_.drawn.insert("non_utf8_names");
        break;
      case 9: {
        if (!classes_.long_names) return Name(source, folder, extension, label);
        const size_t total = static_cast<size_t>(Between(200, 255));
        stem = num + "-";
        const size_t room = total - (extension.empty() ? 0 : extension.size() + 1);
        while (stem.size() + 2 <= room) stem += "\xc3\xa9";
        while (stem.size() < room) stem += "x";
        *label += "long-name-" + std::to_string(total) + " ";
        tree_.drawn.insert("long_names");
        break;
      }
      case 10: stem = "Case Twin " + num; twin_ = "CASE TWIN " + num; *label += "case-twin "; break;
      default:
        if (!classes_.safe_name_collisions) return Name(source, folder, extension, label);
        stem = "a b:" + num;
        twin_ = "a_b_" + num;
        *label += "safe-name-twin ";
        tree_.drawn.insert("safe_name_collisions");
        break;
    }
    std::string name = extension.empty() ? stem : stem + "." + extension;
    if (!taken_.insert({source, folder + "/" + name}).second) return Name(source, folder, extension, label);
    return name;
  }

  std::string Uid(std::string* label) {
    const std::string num = std::to_string(counter_++);
    const int style = Between(0, 9);
    if (style == 0 && classes_.safe_name_collisions) {
      *label += "uid-safe-name-collision ";
      tree_.drawn.insert("safe_name_collisions");
      pending_uid_twin_ = "a_b@" + num;
      return "a/b@" + num;
    }
    if (style == 1) {
      *label += "utf8-uid ";
      return "\xc3\xbcn\xc3\xaf-" + num + "@campaign";
    }
    if (style == 2 && classes_.long_names) {
      tree_.drawn.insert("long_names");
      if (Chance(0.8)) {
        *label += "long-uid ";
        return std::string(240, 'u') + num;
      }
      // Valid UTF-8 that starts with the wire marker goes on the wire as
      // base64url: 6,140 bytes are 8,192 there (the limit), 6,141 are 8,193
      // and get a derived uid (docs/protocol.md, "Uids and names on the wire").
      const size_t bytes = Chance(0.5) ? 6140 : 6141;
      *label += "wire-uid-" + std::to_string(bytes) + " ";
      std::string uid = "~b64:" + num + "-";
      uid.append(bytes - uid.size(), 'w');
      return uid;
    }
    return "uid-" + std::to_string(tree_.seed) + "-" + num;
  }

  // A content line, folded at 75 bytes when it is over 1,000 (an ASCII
  // value: folding never splits a character).
  static std::string Line(const std::string& line, const std::string& eol) {
    if (line.size() <= 1000) return line + eol;
    std::string folded = line.substr(0, 75);
    for (size_t at = 75; at < line.size(); at += 74) folded += eol + " " + line.substr(at, 74);
    return folded + eol;
  }

  std::string Card(const std::string& uid, bool large) {
    const std::string eol = Chance(0.8) ? "\r\n" : "\n";
    std::string card = "BEGIN:VCARD" + eol + "VERSION:3.0" + eol;
    if (!uid.empty()) card += Line("UID:" + uid, eol);
    card += "FN:Person \xc3\x84" + std::to_string(counter_++) + eol;
    if (large) {
      // A base64 PHOTO folded at 75 bytes, as phones write them.
      const bool over = classes_.large_contacts && Chance(0.5);
      if (over) tree_.drawn.insert("large_contacts");
      size_t target = over ? kInlineLimitBytes + static_cast<size_t>(Between(1, 2 << 20))
                           : kInlineLimitBytes - static_cast<size_t>(Between(4096, 8192));
      static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string line = "PHOTO;ENCODING=b;TYPE=JPEG:";
      card += line;
      size_t on_line = line.size();
      while (card.size() + eol.size() + 12 < target) {
        if (on_line == 75) {
          card += eol + " ";
          on_line = 1;
        }
        card.push_back(kB64[rng_() % 64]);
        ++on_line;
      }
      card += eol;
    }
    card += "END:VCARD" + eol;
    return card;
  }

  std::string Component(int source, const std::string& uid) {
    const char* what = source == 2 || (source == 1 && Chance(0.2)) ? "VTODO" : "VEVENT";
    const int n = counter_++;
    std::string c = std::string("BEGIN:") + what + "\r\n";
    if (!uid.empty()) c += Line("UID:" + uid, "\r\n");
    c += "DTSTAMP:20240101T000000Z\r\n";
    c += "DTSTART:202401" + std::to_string(10 + n % 18) + "T100000Z\r\n";
    c += "SUMMARY:Meeting \xc3\xa9t\xc3\xa9 " + std::to_string(n) + "\r\n";
    c += std::string("END:") + what + "\r\n";
    return c;
  }

  // Records of one PIM file: usually one, sometimes several; most with UID.
  std::vector<Record> Records(int source, std::string* label) {
    const bool contacts = kSources[source].extension == std::string("vcf");
    const int count = Chance(0.25) ? Between(2, 4) : 1;
    if (count > 1) *label += "multi-item ";
    std::vector<Record> records;
    for (int i = 0; i < count; ++i) {
      std::string uid;
      const bool without_uid = Chance(0.2) && (count == 1 || classes_.uidless_multi_item);
      if (without_uid) {
        *label += "no-uid ";
        if (count > 1) tree_.drawn.insert("uidless_multi_item");
      } else if (i > 0 && classes_.uidless_multi_item && Chance(0.15) && !records[i - 1].uid.empty()) {
        uid = records[i - 1].uid;  // another item with the UID of the one before it
        *label += "uid-twice-in-file ";
        tree_.drawn.insert("uidless_multi_item");
      } else if (!pending_uid_twin_.empty()) {
        uid = std::move(pending_uid_twin_);
        pending_uid_twin_.clear();
      } else {
        uid = Uid(label);
      }
      const bool large = contacts && Chance(0.06);
      if (large) *label += "large-card ";
      records.push_back({uid, contacts ? Card(uid, large) : Component(source, uid)});
    }
    return records;
  }

  void AddPimFile(int source, const std::string& folder) {
    std::string label;
    std::string name = Name(source, folder, Chance(0.1) ? "VCF" : kSources[source].extension, &label);
    if (kSources[source].extension != std::string("vcf")) {
      name = name.substr(0, name.rfind('.')) + ".ics";
    }
    const std::string path = folder.empty() ? name : folder + "/" + name;
    Entry entry{source, path, EntryType::kRegular, "", {}, "", ""};
    if (Chance(0.03)) {
      label += "empty-file ";
    } else {
      entry.records = Records(source, &label);
    }
    entry.label = label;
    tree_.entries.push_back(entry);
    if (!twin_.empty()) {
      std::string twin = twin_ + "." + (kSources[source].extension);
      twin_.clear();
      if (taken_.insert({source, folder + "/" + twin}).second) {
        Entry second{source, folder.empty() ? twin : folder + "/" + twin, EntryType::kRegular, "", {}, "", "twin-of-previous"};
        std::string ignored;
        second.records = Records(source, &ignored);
        tree_.entries.push_back(second);
      }
    }
  }

  void AddExportFile(int source) {
    std::string label = "export-file ";
    Entry entry{source, "", EntryType::kRegular, "", {}, "", ""};
    const int count = Between(1, 4);
    const int pim_source = source == 4 ? 0 : 1;
    for (int i = 0; i < count; ++i) {
      std::string uid;
      if (Chance(0.15) && (count == 1 || classes_.uidless_export_file)) {
        label += "no-uid ";
        if (count > 1) tree_.drawn.insert("uidless_export_file");
      } else if (i > 0 && classes_.uidless_export_file && Chance(0.15) && !entry.records[i - 1].uid.empty()) {
        uid = entry.records[i - 1].uid;
        label += "uid-twice-in-file ";
        tree_.drawn.insert("uidless_export_file");
      } else {
        uid = Uid(&label);
      }
      entry.records.push_back({uid, pim_source == 0 ? Card(uid, false) : Component(pim_source, uid)});
    }
    entry.label = label;
    tree_.entries.push_back(entry);
  }

  void AddPhoto() {
    static const char* kFolders[] = {"DCIM/100CANON", "Camera", "a/b/c/d", "", "Screenshots"};
    std::string folder = kFolders[Between(0, 4)];
    std::string label;
    if (Chance(0.15)) {
      std::string ignored;
      folder += (folder.empty() ? "" : "/") + Name(kPhotoSource, folder, "", &ignored);
      label += "odd-folder ";
    }
    const char* extensions[] = {"jpg", "JPG", "heic", ""};
    const std::string name = Name(kPhotoSource, folder, extensions[Between(0, 3)], &label);
    const std::string path = folder.empty() ? name : folder + "/" + name;
    size_t size;
    const int size_class = Between(0, 99);
    if (size_class < 8) {
      size = 0;
      label += "zero-bytes ";
    } else if (size_class < 75) {
      size = static_cast<size_t>(Between(1, 3000));
    } else if (size_class < 92) {
      size = static_cast<size_t>(Between(10 << 10, 200 << 10));
    } else if (size_class < 98) {
      size = (size_t{1} << 20) + static_cast<size_t>(Between(-2, 2));
      label += "one-mib ";
    } else {
      size = static_cast<size_t>(Between(2 << 20, 4 << 20));
      label += "few-mib ";
    }
    tree_.entries.push_back({kPhotoSource, path, EntryType::kRegular, RandomBytes(size), {}, "", label});
    twin_.clear();
  }

  // The same UID in a second file of the collection of an earlier file.
  void AddDuplicateUid() {
    for (const Entry& e : tree_.entries) {
      if (e.source > 2 || e.type != EntryType::kRegular || e.records.size() != 1 || e.records[0].uid.empty()) continue;
      const size_t slash = e.path.find('/');
      const std::string folder = slash == std::string::npos ? "" : e.path.substr(0, slash);
      const std::string name = "dup-" + std::to_string(counter_++) + "." + kSources[e.source].extension;
      Entry dup = e;
      dup.path = folder.empty() ? name : folder + "/" + name;
      dup.label = "duplicate-uid-of " + EscapeBytes(e.path);
      if (Chance(0.5)) {
        dup.records[0].bytes = e.source == 0 ? Card(e.records[0].uid, false) : Component(e.source, e.records[0].uid);
        dup.label += " (other content)";
      }
      tree_.entries.push_back(dup);
      return;
    }
  }

  // FIFOs and symlinks inside the sources; they hold no item.
  void AddSpecial() {
    const int source = Between(0, 3);
    const std::string ext = kSources[source].extension;
    const std::string suffix = ext.empty() ? ".jpg" : "." + ext;
    const std::string n = std::to_string(counter_++);
    switch (Between(0, 3)) {
      case 0:
        tree_.entries.push_back({source, "pipe-" + n + suffix, EntryType::kFifo, "", {}, "", "fifo"});
        break;
      case 1: {
        std::string target;
        for (const Entry& e : tree_.entries) {
          if (e.source == source && e.type == EntryType::kRegular && e.path.find('/') == std::string::npos) {
            target = e.path;
          }
        }
        if (target.empty()) target = "dangling" + suffix;
        tree_.entries.push_back({source, "link-" + n + suffix, EntryType::kSymlinkInside, "", {}, target, "symlink-inside"});
        break;
      }
      case 2:
        tree_.entries.push_back(
            {source, "escape-" + n + suffix, EntryType::kSymlinkOutside, "", {}, "secret" + suffix, "symlink-outside"});
        break;
      default:
        tree_.entries.push_back(
            {kPhotoSource, "linked-folder-" + n, EntryType::kSymlinkOutside, "", {}, ".", "symlink-outside-folder"});
        break;
    }
  }

  std::mt19937_64 rng_;
  Classes classes_;
  Tree tree_;
  int counter_ = 0;
  std::set<std::pair<int, std::string>> taken_;
  std::string twin_;              // a name for the next file of the same folder
  std::string pending_uid_twin_;  // a uid for the next record
};

std::string Sha256Hex(const std::string& bytes) { return platform::ToHex(platform::Sha256Of(bytes)); }

// docs/formats.md: an item without UID is "hf-" + SHA-256(source, NUL, path
// in the source, NUL, index in its file), first 32 hex digits.
std::string DerivedUid(const std::string& source, const std::string& path, size_t index) {
  std::string key = source;
  key.push_back('\0');
  key += path;
  key.push_back('\0');
  key += std::to_string(index);
  return "hf-" + Sha256Hex(key).substr(0, 32);
}

// The collection a PIM entry's items belong to (agent/device/capture.h): an export
// file's stem, the folder a vdir file is in, or the source folder's name.
std::string CollectionOf(const Entry& e) {
  const SourceSpec& source = kSources[e.source];
  if (source.single_file) return fs::path(source.device_path).stem().string();
  const size_t slash = e.path.find('/');
  return slash == std::string::npos ? source.device_path : e.path.substr(0, slash);
}

// The items a regular PIM file holds, in file order, each with its UID and
// its content (docs/formats.md). A .vcf: one per card. An .ics: one per
// component, except that components sharing a UID are one item (a recurring
// event and its overrides), placed where the first of them is. One item: the
// whole file. Several: each card alone, or the item's components inside the
// file's header and END:VCALENDAR line.
std::vector<Record> FileItems(const Entry& e) {
  const bool ics = kSources[e.source].extension == std::string("ics");
  std::vector<Record> items;
  std::map<std::string, size_t> by_uid;  // an .ics item's place in `items`
  for (const Record& r : e.records) {
    if (ics && !r.uid.empty() && by_uid.count(r.uid) != 0) {
      items[by_uid[r.uid]].bytes += r.bytes;
      continue;
    }
    if (ics && !r.uid.empty()) by_uid[r.uid] = items.size();
    items.push_back(r);
  }
  if (items.size() == 1) {
    items[0].bytes = FileBytes(e);
  } else if (ics) {
    for (Record& item : items) item.bytes = kIcsHeader + item.bytes + kIcsFooter;
  }
  return items;
}

// Whether `bytes` is UTF-8 as RFC 3629 has it: no overlong forms, no
// surrogates, nothing past U+10FFFF.
bool IsUtf8(const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    int more = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the byte after the lead byte
    if (c < 0x80) {
      more = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (bytes.size() - i <= static_cast<size_t>(more)) return false;  // cut short
    for (int k = 1; k <= more; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + static_cast<size_t>(k)]);
      if (next < (k == 1 ? lo : 0x80) || next > (k == 1 ? hi : 0xbf)) return false;
    }
    i += static_cast<size_t>(more) + 1;
  }
  return true;
}

void Check(int rc, const std::string& what) {
  if (rc != 0) throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

Tree GenerateTree(uint64_t seed, const Classes& classes) { return Gen(seed, classes).Make(seed); }

std::string FileBytes(const Entry& entry) {
  if (entry.source == kPhotoSource) return entry.photo;
  std::string bytes;
  const bool ics = kSources[entry.source].extension == std::string("ics");
  if (ics && !entry.records.empty()) bytes += kIcsHeader;
  for (const Record& r : entry.records) bytes += r.bytes;
  if (ics && !entry.records.empty()) bytes += kIcsFooter;
  return bytes;
}

void WriteTree(const Tree& tree, const fs::path& device, const fs::path& outside) {
  fs::create_directories(outside / "album");
  WriteFileBytes(outside / "secret.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:outside\r\nFN:Outside\r\nEND:VCARD\r\n");
  WriteFileBytes(outside / "secret.ics", std::string(kIcsHeader) + kIcsFooter);
  WriteFileBytes(outside / "secret.jpg", "not a photo of the device");
  WriteFileBytes(outside / "album/kept.jpg", "outside the sources");
  for (const SourceSpec& s : kSources) {
    if (!s.single_file) fs::create_directories(device / s.device_path);
  }
  for (const Entry& e : tree.entries) {
    const fs::path path = kSources[e.source].single_file ? device / kSources[e.source].device_path
                                                         : device / kSources[e.source].device_path / e.path;
    fs::create_directories(path.parent_path());
    switch (e.type) {
      case EntryType::kRegular: WriteFileBytes(path, FileBytes(e)); break;
      case EntryType::kFifo: Check(mkfifo(path.c_str(), 0644), "mkfifo " + path.string()); break;
      case EntryType::kSymlinkInside: Check(symlink(e.target.c_str(), path.c_str()), "symlink " + path.string()); break;
      case EntryType::kSymlinkOutside:
        Check(symlink((outside / e.target).c_str(), path.c_str()), "symlink " + path.string());
        break;
    }
  }
}

std::string WireForm(const std::string& bytes) {
  if (IsUtf8(bytes) && bytes.rfind("~b64:", 0) != 0) return bytes;
  static const char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string wire = "~b64:";
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k <= n; ++k) wire.push_back(kBase64Url[(group >> (18 - 6 * k)) & 63]);
  }
  return wire;
}

std::vector<Expected> ItemsByEntry(const Tree& tree) {
  std::vector<Expected> items(tree.entries.size());
  std::vector<size_t> pim;  // regular PIM files, in the order a first capture reads them
  for (size_t i = 0; i < tree.entries.size(); ++i) {
    const Entry& e = tree.entries[i];
    if (e.type != EntryType::kRegular) continue;
    if (e.source == kPhotoSource) {
      const char* name = kSources[kPhotoSource].name;
      items[i][{RemoteCollectionIdOf(name, name), e.path}].insert(Sha256Hex(e.photo));
    } else {
      pim.push_back(i);
    }
  }
  std::sort(pim.begin(), pim.end(), [&](size_t a, size_t b) {
    const Entry& x = tree.entries[a];
    const Entry& y = tree.entries[b];
    return x.source != y.source ? x.source < y.source : x.path < y.path;
  });
  std::set<ItemKey> claimed;  // (collection, UID) held by a record read earlier
  for (size_t i : pim) {
    const Entry& e = tree.entries[i];
    const SourceSpec& source = kSources[e.source];
    const std::string scanned_path = source.single_file ? source.device_path : e.path;
    const std::string id = RemoteCollectionIdOf(source.name, CollectionOf(e));
    const std::vector<Record> file_items = FileItems(e);
    for (size_t k = 0; k < file_items.size(); ++k) {
      const Record& item = file_items[k];
      const bool own = !item.uid.empty() && WireForm(item.uid).size() <= kMaxWireUidBytes &&
                       claimed.insert({id, item.uid}).second;
      items[i][{id, own ? item.uid : DerivedUid(source.name, scanned_path, k)}].insert(Sha256Hex(item.bytes));
    }
  }
  return items;
}

Expected ExpectedItems(const Tree& tree) {
  Expected all;
  for (Expected& items : ItemsByEntry(tree)) {
    for (auto& [key, shas] : items) all[key].insert(shas.begin(), shas.end());
  }
  return all;
}

bool SharesNoUid(const Tree& tree, size_t index) {
  const Entry& e = tree.entries[index];
  if (e.type != EntryType::kRegular || e.source == kPhotoSource) return true;
  std::set<std::string> uids;
  for (const Record& r : e.records) uids.insert(r.uid);
  uids.erase("");
  for (size_t j = 0; j < tree.entries.size(); ++j) {
    const Entry& other = tree.entries[j];
    if (j == index || other.type != EntryType::kRegular || other.source != e.source ||
        CollectionOf(other) != CollectionOf(e)) {
      continue;
    }
    for (const Record& r : other.records) {
      if (uids.count(r.uid) != 0) return false;
    }
  }
  return true;
}

std::string EscapeBytes(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string DescribeTree(const Tree& tree) {
  static const char* kTypes[] = {"file", "fifo", "symlink-inside", "symlink-outside"};
  std::ostringstream out;
  for (const Entry& e : tree.entries) {
    out << "  " << kSources[e.source].name << " \"" << EscapeBytes(e.path) << "\" " << kTypes[static_cast<int>(e.type)];
    if (e.type == EntryType::kRegular) out << " " << FileBytes(e).size() << " bytes";
    if (!e.records.empty()) {
      out << ", records:";
      for (const Record& r : e.records) out << " [uid \"" << EscapeBytes(r.uid) << "\", " << r.bytes.size() << " B]";
    }
    if (!e.target.empty()) out << " -> \"" << EscapeBytes(e.target) << "\"";
    if (!e.label.empty()) out << " (" << e.label << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace holdfast::testing::campaign
