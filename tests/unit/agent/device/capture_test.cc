// Capture against real folders and a real vault file: incremental rescans,
// edits, moves, deletions and the device-loss guard.
#include "agent/device/capture.h"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "platform/pim/content_line.h"
#include "platform/sha256.h"
#include "tests/support/temp_dir.h"

namespace holdfast::agent {
namespace {

namespace fs = std::filesystem;
using storage::ItemRecord;
using storage::Vault;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

std::string Card(const std::string& uid, const std::string& name) {
  std::string card = "BEGIN:VCARD\r\nVERSION:3.0\r\n";
  if (!uid.empty()) card += "UID:" + uid + "\r\n";
  return card + "FN:" + name + "\r\nEND:VCARD\r\n";
}

// A handset folder and a vault, with helpers to capture and look inside.
struct Fixture {
  TempDir dir;
  fs::path book = dir / "contacts/personal";
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  Config config;
  int64_t clock_ms = 1'000'000;

  Fixture() {
    fs::create_directories(book);
    SourceConfig contacts;
    contacts.name = "contacts";
    contacts.kind = SourceKind::kContacts;
    contacts.path = (dir / "contacts").string();
    REQUIRE(AddSource(&config, contacts).ok());
  }

  void WriteCards(int count, const std::string& prefix = "c") {
    for (int i = 0; i < count; ++i) {
      std::string uid = prefix + std::to_string(i);
      WriteFileBytes(book / (uid + ".vcf"), Card(uid, "Person " + uid));
    }
  }

  SourceCapture Run(const std::string& only = "", bool accept = false, std::vector<std::string> paths = {}) {
    CaptureOptions options;
    options.only_source = only;
    options.only_paths = std::move(paths);
    options.accept_deletions = accept;
    options.now_ms = ++clock_ms;
    Result<CaptureReport> report = Capture(*vault, config, options);
    REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().ToString()));
    REQUIRE(!report->sources.empty());
    return report->sources[0];
  }

  int64_t Collection(const std::string& name = "personal") {
    for (const storage::CollectionInfo& c : *vault->ListCollections()) {
      if (c.name == name) return c.id;
    }
    FAIL("no collection " << name);
    return 0;
  }
  int64_t Live(const std::string& name = "personal") { return *vault->CountLiveItems(Collection(name)); }
  std::string Content(const std::string& uid, const std::string& name = "personal") {
    std::optional<ItemRecord> item = *vault->FindItem(Collection(name), uid);
    REQUIRE_MESSAGE(item.has_value(), "no item " << uid);
    return *vault->ReadRevisionBytes(item->head_revision_id, 1 << 26);
  }
};

TEST_CASE("capture stores every card byte for byte and a rescan of an unchanged tree reads nothing") {
  Fixture f;
  f.WriteCards(12);
  // Odd bytes that must survive untouched: a BOM, LF endings, a folded line.
  const std::string odd = "\xEF\xBB\xBF" "BEGIN:VCARD\nVERSION:4.0\nUID:odd\nFN:Fol\n ded\nEND:VCARD\n";
  WriteFileBytes(f.book / "odd.vcf", odd);
  SourceCapture first = f.Run();
  CHECK(first.items_new == 13);
  CHECK(first.files_read == 13);
  for (const auto& entry : fs::directory_iterator(f.book)) {
    std::string uid = entry.path().stem().string();
    CHECK(f.Content(uid) == ReadFileBytes(entry.path()));
  }
  std::optional<ItemRecord> item = *f.vault->FindItem(f.Collection(), "odd");
  CHECK(item->summary == "Folded");
  CHECK(item->source_path == "personal/odd.vcf");

  SourceCapture again = f.Run();
  CHECK(again.files_read == 0);
  CHECK(again.files_unchanged == 13);
  CHECK(again.items_new + again.items_changed + again.items_deleted == 0);
}

TEST_CASE("a capture of named files reads only those, records no deletion and keeps loss alerts; a missing one means a full scan") {
  Fixture f;
  f.WriteCards(20);
  f.Run();
  // Most of the book gone: the guard trips and an alert is open.
  for (int i = 0; i < 15; ++i) fs::remove(f.book / ("c" + std::to_string(i) + ".vcf"));
  SourceCapture guarded = f.Run();
  REQUIRE(guarded.losses_suspected.size() == 1);
  CHECK(f.Live() == 20);
  // A new card and an edited one, named: only they are read, nothing is
  // deleted, and the alert stays open (the missing files were not looked at).
  WriteFileBytes(f.book / "new.vcf", Card("new", "New Person"));
  WriteFileBytes(f.book / "c17.vcf", Card("c17", "Edited Person"));
  SourceCapture named = f.Run("contacts", false, {"personal/new.vcf", "personal/c17.vcf", "personal/notes.txt"});
  CHECK(named.files_seen == 2);
  CHECK(named.files_read == 2);
  CHECK(named.items_new == 1);
  CHECK(named.items_changed == 1);
  CHECK(named.items_deleted == 0);
  CHECK(f.Live() == 21);
  CHECK(f.Content("c17") == Card("c17", "Edited Person"));
  CHECK(f.vault->capture_state().ListLossAlerts()->size() == 1);
  // A card that takes the UID of a card still in another (unread) file does
  // not replace it: it becomes an item of its own.
  WriteFileBytes(f.book / "copy.vcf", Card("c18", "Same UID, other file"));
  SourceCapture copied = f.Run("contacts", false, {"personal/copy.vcf"});
  CHECK(copied.items_new == 1);
  CHECK(f.Content("c18") == Card("c18", "Person c18"));
  // A named file that is gone: the capture scans the whole source, which
  // sees the other missing files too (and the guard still holds them).
  SourceCapture gone = f.Run("contacts", false, {"personal/c0.vcf"});
  CHECK(gone.files_seen == 7);
  CHECK(gone.items_deleted == 0);
  REQUIRE(gone.losses_suspected.size() == 1);
  // Named files without their source are refused.
  CaptureOptions bad;
  bad.only_paths = {"personal/c1.vcf"};
  Result<CaptureReport> refused = Capture(*f.vault, f.config, bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("a capture of named files never follows a symlink, as the full scan does not") {
  Fixture f;
  f.WriteCards(2);
  f.Run();
  TempDir outside;
  WriteFileBytes(outside / "secret.vcf", Card("secret", "Outside"));
  fs::create_symlink(outside / "secret.vcf", f.book / "link.vcf");
  fs::create_directory_symlink(outside.path(), f.dir / "contacts" / "linked");
  f.Run("contacts", false, {"personal/link.vcf"});
  f.Run("contacts", false, {"linked/secret.vcf"});
  for (const storage::CollectionInfo& c : *f.vault->ListCollections()) {
    CHECK_FALSE(f.vault->FindItem(c.id, "secret")->has_value());
  }
}

TEST_CASE("an edited file becomes a new revision of its item") {
  Fixture f;
  f.WriteCards(3);
  f.Run();
  WriteFileBytes(f.book / "c1.vcf", Card("c1", "Renamed Person"));
  SourceCapture edit = f.Run();
  CHECK(edit.files_read == 1);
  CHECK(edit.items_changed == 1);
  CHECK(f.vault->ListRevisions(f.Collection(), "c1")->size() == 2);
  CHECK(f.Content("c1") == Card("c1", "Renamed Person"));
}

TEST_CASE("a renamed file is recognised by its content: no new revision, no deletion") {
  Fixture f;
  f.WriteCards(3);
  WriteFileBytes(f.book / "anon.vcf", Card("", "No Uid"));
  f.Run();
  std::vector<ItemRecord> before = *f.vault->ListItems(f.Collection());
  REQUIRE(before.size() == 4);

  fs::rename(f.book / "anon.vcf", f.book / "anon-moved.vcf");
  fs::rename(f.book / "c0.vcf", f.book / "zero.vcf");
  SourceCapture moved = f.Run();
  CHECK(moved.items_moved == 2);
  CHECK(moved.items_deleted == 0);
  CHECK(moved.items_new == 0);
  std::vector<ItemRecord> after = *f.vault->ListItems(f.Collection());
  REQUIRE(after.size() == 4);
  int64_t revisions = 0;
  for (const ItemRecord& item : after) {
    CHECK_FALSE(item.deleted);
    revisions += static_cast<int64_t>(f.vault->ListRevisions(f.Collection(), item.uid)->size());
  }
  CHECK(revisions == 4);
  CHECK(f.vault->FindItem(f.Collection(), "c0")->value().source_path == "personal/zero.vcf");
}

TEST_CASE("an item without UID gets a stable identity from its source and path") {
  Fixture f;
  WriteFileBytes(f.book / "anon.vcf", Card("", "No Uid"));
  f.Run();
  std::vector<ItemRecord> items = *f.vault->ListItems(f.Collection());
  REQUIRE(items.size() == 1);
  const std::string uid = items[0].uid;
  CHECK(uid.rfind("hf-", 0) == 0);
  CHECK(uid.size() == 35);
  // Another vault capturing the same source and path derives the same uid.
  Fixture g;
  WriteFileBytes(g.book / "anon.vcf", Card("", "Different content, same place"));
  g.Run();
  CHECK(g.vault->ListItems(g.Collection())->at(0).uid == uid);
}

TEST_CASE("a single deletion under the threshold becomes a tombstone") {
  Fixture f;
  f.WriteCards(10);
  f.Run();
  fs::remove(f.book / "c3.vcf");
  SourceCapture run = f.Run();
  CHECK(run.items_deleted == 1);
  CHECK(run.losses_suspected.empty());
  std::optional<ItemRecord> gone = *f.vault->FindItem(f.Collection(), "c3");
  REQUIRE(gone);
  CHECK(gone->deleted);
  CHECK(f.Content("c3") == Card("c3", "Person c3"));  // restorable
  CHECK(f.vault->capture_state().ListLossAlerts()->empty());
}

TEST_CASE("the guard records no deletion when a folder comes back empty, and clears when items return") {
  Fixture f;
  f.WriteCards(8);
  f.Run();
  const std::string saved = ReadFileBytes(f.book / "c0.vcf");
  for (int i = 0; i < 8; ++i) fs::remove(f.book / ("c" + std::to_string(i) + ".vcf"));
  SourceCapture empty = f.Run();
  CHECK(empty.items_deleted == 0);
  REQUIRE(empty.losses_suspected.size() == 1);
  CHECK(empty.losses_suspected[0].collection == "personal");
  CHECK(empty.losses_suspected[0].items_before == 8);
  CHECK(empty.losses_suspected[0].items_missing == 8);
  CHECK(f.Live() == 8);
  REQUIRE(f.vault->capture_state().ListLossAlerts()->size() == 1);
  // A second scan of the empty folder still records nothing.
  CHECK(f.Run().items_deleted == 0);
  CHECK(f.Live() == 8);

  f.WriteCards(8);  // the user restored the phone
  SourceCapture back = f.Run();
  CHECK(back.items_deleted == 0);
  CHECK(back.losses_suspected.empty());
  CHECK(f.vault->capture_state().ListLossAlerts()->empty());
  CHECK(f.Live() == 8);
  CHECK(f.Content("c0") == saved);
}

TEST_CASE("the guard treats a missing source folder as an error for that source only") {
  Fixture f;
  f.WriteCards(4);
  SourceConfig photos;
  photos.name = "photos";
  photos.kind = SourceKind::kPhotos;
  photos.path = (f.dir / "DCIM").string();
  fs::create_directories(f.dir / "DCIM/Camera");
  WriteFileBytes(f.dir / "DCIM/Camera/IMG_1.jpg", "\xFF\xD8 not really a jpeg \xFF\xD9");
  REQUIRE(AddSource(&f.config, photos).ok());
  f.Run();
  fs::remove_all(f.dir / "contacts");  // unmounted card

  CaptureOptions options;
  options.now_ms = ++f.clock_ms;
  Result<CaptureReport> report = Capture(*f.vault, f.config, options);
  REQUIRE(report);
  CHECK_FALSE(report->all_scanned());
  REQUIRE(report->sources.size() == 2);
  CHECK(report->sources[0].error.code() == ErrorCode::kNotFound);
  CHECK(report->sources[0].error.message().find("no deletion was recorded") != std::string::npos);
  CHECK(report->sources[0].items_deleted == 0);
  CHECK(report->sources[1].error.ok());
  CHECK(report->sources[1].files_unchanged == 1);
  CHECK(f.Live() == 4);
}

TEST_CASE("a source path that is a file where a folder is expected is an error, not an empty source") {
  Fixture f;
  f.WriteCards(4);
  f.Run();
  fs::remove_all(f.dir / "contacts");
  WriteFileBytes(f.dir / "contacts", "a file where the address books were");
  SourceCapture run = f.Run();
  CHECK(run.error.code() == ErrorCode::kInvalidArgument);
  CHECK(run.error.message().find("not a folder") != std::string::npos);
  CHECK(run.items_deleted == 0);
  CHECK(run.losses_suspected.empty());
  CHECK(f.Live() == 4);
}

TEST_CASE("the guard trips on a 30% loss and --accept-deletions records it") {
  Fixture f;
  f.WriteCards(30);
  f.Run();
  for (int i = 0; i < 9; ++i) fs::remove(f.book / ("c" + std::to_string(i) + ".vcf"));
  SourceCapture lossy = f.Run();
  CHECK(lossy.items_deleted == 0);
  REQUIRE(lossy.losses_suspected.size() == 1);
  CHECK(lossy.losses_suspected[0].items_missing == 9);
  CHECK(f.Live() == 30);

  SourceCapture accepted = f.Run("contacts", /*accept=*/true);
  CHECK(accepted.items_deleted == 9);
  CHECK(accepted.losses_suspected.empty());
  CHECK(f.Live() == 21);
  CHECK(f.vault->capture_state().ListLossAlerts()->empty());
  // The deletions were recorded once; the next scan is quiet.
  SourceCapture quiet = f.Run();
  CHECK(quiet.items_deleted == 0);
  CHECK(quiet.losses_suspected.empty());
}

TEST_CASE("losses at or under the threshold are ordinary deletions; the threshold is per source") {
  Fixture f;
  f.WriteCards(30);
  f.Run();
  for (int i = 0; i < 6; ++i) fs::remove(f.book / ("c" + std::to_string(i) + ".vcf"));  // 20%
  SourceCapture run = f.Run();
  CHECK(run.items_deleted == 6);
  CHECK(run.losses_suspected.empty());

  f.config.sources[0].loss_percent = 5;
  f.config.sources[0].loss_min_items = 1;
  for (int i = 6; i < 8; ++i) fs::remove(f.book / ("c" + std::to_string(i) + ".vcf"));  // 2 of 24
  SourceCapture strict = f.Run();
  CHECK(strict.items_deleted == 0);
  CHECK(strict.losses_suspected.size() == 1);
}

TEST_CASE("accept_deletions needs one named source and an unknown source is refused") {
  Fixture f;
  CaptureOptions options;
  options.accept_deletions = true;
  CHECK(Capture(*f.vault, f.config, options).error().code() == ErrorCode::kInvalidArgument);
  options.only_source = "nope";
  CHECK(Capture(*f.vault, f.config, options).error().code() == ErrorCode::kNotFound);
}

TEST_CASE("a malformed file is reported with path and line, and the copy captured earlier stays") {
  Fixture f;
  f.WriteCards(3);
  f.Run();
  const std::string good = ReadFileBytes(f.book / "c1.vcf");
  WriteFileBytes(f.book / "c1.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:cut off\r\n");
  WriteFileBytes(f.book / "junk.vcf", std::string("\x00\x01\x02garbage", 10));
  SourceCapture run = f.Run();
  REQUIRE(run.problems.size() == 2);
  CHECK(run.problems[0].path == "personal/c1.vcf");
  CHECK(run.problems[0].line == 1);
  CHECK(run.problems[0].reason.find("END") != std::string::npos);
  CHECK(run.problems[1].path == "personal/junk.vcf");
  CHECK(run.items_deleted == 0);
  CHECK(f.Content("c1") == good);
  CHECK(f.vault->ListRevisions(f.Collection(), "c1")->size() == 1);
  CHECK(f.vault->capture_state().ListCaptureProblems()->size() == 2);
  // Fixed on the device: the problem list empties.
  WriteFileBytes(f.book / "c1.vcf", good);
  fs::remove(f.book / "junk.vcf");
  f.Run();
  CHECK(f.vault->capture_state().ListCaptureProblems()->empty());
}

TEST_CASE("a file too large for its kind is skipped with a clear reason") {
  Fixture f;
  std::string huge = Card("big", "Big");
  huge.resize(platform::kMaxPimFileBytes + 1, 'x');
  WriteFileBytes(f.book / "big.vcf", huge);
  SourceCapture run = f.Run();
  REQUIRE(run.problems.size() == 1);
  CHECK(run.problems[0].reason.find("more than the limit") != std::string::npos);
}

TEST_CASE("a whole-address-book export holds one item per card; a card removed from it is deleted") {
  Fixture f;
  std::string all;
  for (int i = 0; i < 3; ++i) all += Card("e" + std::to_string(i), "Export " + std::to_string(i));
  WriteFileBytes(f.dir / "export.vcf", all);
  f.config.sources[0].path = (f.dir / "export.vcf").string();
  SourceCapture run = f.Run();
  CHECK(run.items_new == 3);
  CHECK(f.Content("e1", "export") == Card("e1", "Export 1"));
  WriteFileBytes(f.dir / "export.vcf", Card("e0", "Export 0") + Card("e2", "Export 2"));
  SourceCapture smaller = f.Run();
  CHECK(smaller.items_deleted == 1);
  CHECK(f.vault->FindItem(f.Collection("export"), "e1")->value().deleted);
}

TEST_CASE("a guard tripped by cards lost inside an export file holds until they are accepted") {
  Fixture f;
  std::string all;
  for (int i = 0; i < 25; ++i) all += Card("e" + std::to_string(i), "Export " + std::to_string(i));
  WriteFileBytes(f.dir / "export.vcf", all);
  f.config.sources[0].path = (f.dir / "export.vcf").string();
  REQUIRE(f.Run().items_new == 25);
  std::string five;
  for (int i = 0; i < 5; ++i) five += Card("e" + std::to_string(i), "Export " + std::to_string(i));
  WriteFileBytes(f.dir / "export.vcf", five);

  SourceCapture tripped = f.Run();
  REQUIRE(tripped.losses_suspected.size() == 1);
  CHECK(tripped.losses_suspected[0].items_missing == 20);
  // The file is unchanged now; the loss it showed is still there.
  SourceCapture again = f.Run();
  REQUIRE(again.losses_suspected.size() == 1);
  CHECK(again.losses_suspected[0].items_missing == 20);
  CHECK(f.vault->capture_state().ListLossAlerts()->size() == 1);
  CHECK(f.Live("export") == 25);

  SourceCapture accepted = f.Run("contacts", /*accept=*/true);
  CHECK(accepted.items_deleted == 20);
  CHECK(f.Live("export") == 5);
  CHECK(f.vault->capture_state().ListLossAlerts()->empty());
  SourceCapture after = f.Run();
  CHECK(after.items_deleted == 0);
  CHECK(after.losses_suspected.empty());
  CHECK(f.Live("export") == 5);
}

// Captures a photo tree, makes one of its folders unlistable and captures
// again. Returns what went wrong, or "" when the folder's photos were
// reported and kept. Root lists any folder whatever its mode, so as root
// this runs in a child process that has become the unprivileged "nobody".
std::string CaptureWithUnlistableFolder() {
  Fixture f;
  SourceConfig photos;
  photos.name = "photos";
  photos.kind = SourceKind::kPhotos;
  photos.path = (f.dir / "DCIM").string();
  if (!AddSource(&f.config, photos).ok()) return "AddSource failed";
  fs::create_directories(f.dir / "DCIM/Camera");
  fs::create_directories(f.dir / "DCIM/Screenshots");
  for (int i = 0; i < 4; ++i) {
    WriteFileBytes(f.dir / ("DCIM/Screenshots/S" + std::to_string(i) + ".png"), "png " + std::to_string(i));
    WriteFileBytes(f.dir / ("DCIM/Camera/C" + std::to_string(i) + ".jpg"), "jpg " + std::to_string(i));
  }
  if (f.Run("photos").items_new != 8) return "first capture did not store 8 photos";
  fs::permissions(f.dir / "DCIM/Screenshots", fs::perms::none);
  if (access((f.dir / "DCIM/Screenshots").c_str(), R_OK | X_OK) == 0) return "folder still listable";
  SourceCapture run = f.Run("photos");
  fs::permissions(f.dir / "DCIM/Screenshots", fs::perms::owner_all);
  if (run.items_deleted != 0) return std::to_string(run.items_deleted) + " photos were deleted";
  if (f.Live("photos") != 8) return "live photos: " + std::to_string(f.Live("photos"));
  if (run.problems.size() != 1 || run.problems[0].path != "Screenshots") return "the folder was not reported";
  return "";
}

TEST_CASE("photos in a folder that cannot be listed are reported, not deleted") {
  if (geteuid() != 0) {
    CHECK(CaptureWithUnlistableFolder() == "");
    return;
  }
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    std::string error = "could not become nobody";
    try {
      if (setgid(65534) == 0 && setuid(65534) == 0) error = CaptureWithUnlistableFolder();
    } catch (...) {
      error = "a check failed inside the unprivileged child";
    }
    (void)!write(pipe_fds[1], error.data(), error.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string error;
  char buffer[256];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) error.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  REQUIRE(WIFEXITED(wstatus));
  CHECK(error == "");
}

TEST_CASE("a video too large to read ahead is streamed into the vault between batches") {
  Fixture f;
  SourceConfig photos;
  photos.name = "photos";
  photos.kind = SourceKind::kPhotos;
  photos.path = (f.dir / "DCIM").string();
  REQUIRE(AddSource(&f.config, photos).ok());
  fs::create_directories(f.dir / "DCIM");
  std::string video(20 << 20, '\0');
  for (size_t i = 0; i < video.size(); i += 4096) video[i] = static_cast<char>(i / 4096);
  WriteFileBytes(f.dir / "DCIM/VID_1.mp4", video);
  WriteFileBytes(f.dir / "DCIM/IMG_1.jpg", "\xFF\xD8 small \xFF\xD9");
  SourceCapture run = f.Run("photos");
  CHECK(run.items_new == 2);
  CHECK(run.problems.empty());
  CHECK(f.Content("VID_1.mp4", "photos") == video);
  CHECK(f.Content("IMG_1.jpg", "photos") == "\xFF\xD8 small \xFF\xD9");
  CHECK((*f.vault->Verify()).ok());
}

TEST_CASE("a card that moves from one file to another in the same scan is not deleted") {
  Fixture f;
  WriteFileBytes(f.book / "a.vcf", Card("c1", "One") + Card("c2", "Two"));
  f.Run();
  // c2 leaves a.vcf (read first) and turns up, edited, in b.vcf (read later).
  WriteFileBytes(f.book / "a.vcf", Card("c1", "One"));
  WriteFileBytes(f.book / "b.vcf", Card("c2", "Two, edited"));
  SourceCapture run = f.Run();
  CHECK(run.items_deleted == 0);
  CHECK(run.items_changed == 1);
  std::optional<ItemRecord> c2 = *f.vault->FindItem(f.Collection(), "c2");
  REQUIRE(c2);
  CHECK_FALSE(c2->deleted);
  CHECK(c2->source_path == "personal/b.vcf");
  // Later removed from b.vcf for good: now it is a deletion.
  WriteFileBytes(f.book / "b.vcf", Card("c3", "Three"));
  CHECK(f.Run().items_deleted == 1);
  CHECK(f.vault->FindItem(f.Collection(), "c2")->value().deleted);
}

TEST_CASE("two different cards with one UID, in one file or in two, are two items and neither is lost") {
  Fixture f;
  WriteFileBytes(f.book / "a.vcf", Card("dup", "First copy"));
  WriteFileBytes(f.book / "b.vcf", Card("dup", "Second copy"));
  WriteFileBytes(f.book / "c.vcf", Card("twice", "One") + Card("twice", "Two"));
  SourceCapture first = f.Run();
  CHECK(first.items_new == 4);
  CHECK(f.Live() == 4);
  CHECK(f.Content("dup") == Card("dup", "First copy"));  // the first file read keeps the UID
  std::set<std::string> contents;
  for (const ItemRecord& item : *f.vault->ListItems(f.Collection())) {
    contents.insert(*f.vault->ReadRevisionBytes(item.head_revision_id, 1 << 20));
  }
  for (const std::string name : {"First copy", "Second copy", "FN:One", "FN:Two"}) {
    CHECK_MESSAGE(std::any_of(contents.begin(), contents.end(),
                              [&](const std::string& c) { return c.find(name) != std::string::npos; }),
                  name);
  }
  // Rescans, and edits of either copy, keep both identities.
  SourceCapture again = f.Run();
  CHECK(again.items_new == 0);
  CHECK(again.items_changed == 0);
  WriteFileBytes(f.book / "b.vcf", Card("dup", "Second copy, edited"));
  SourceCapture edited = f.Run();
  CHECK(edited.items_changed == 1);
  CHECK(edited.items_new == 0);
  CHECK(f.Content("dup") == Card("dup", "First copy"));
  CHECK(f.Live() == 4);
  // The first copy deleted: only it is recorded as deleted.
  fs::remove(f.book / "a.vcf");
  SourceCapture deleted = f.Run();
  CHECK(deleted.items_deleted == 1);
  CHECK(f.Live() == 3);
}

TEST_CASE("photos of any depth go into the blob store and a moved photo keeps its revision") {
  Fixture f;
  SourceConfig photos;
  photos.name = "photos";
  photos.kind = SourceKind::kPhotos;
  photos.path = (f.dir / "DCIM").string();
  REQUIRE(AddSource(&f.config, photos).ok());
  fs::create_directories(f.dir / "DCIM/a/b/c");
  std::string jpeg = "\xFF\xD8" + std::string(700'000, 'j') + "\xFF\xD9";
  WriteFileBytes(f.dir / "DCIM/a/b/c/IMG_1.jpg", jpeg);
  WriteFileBytes(f.dir / "DCIM/.thumbnail", "hidden files are not photos");
  SourceCapture run = f.Run("photos");
  CHECK(run.items_new == 1);
  CHECK(f.Content("a/b/c/IMG_1.jpg", "photos") == jpeg);
  CHECK(f.vault->Stats()->blobs == 1);

  fs::rename(f.dir / "DCIM/a/b/c/IMG_1.jpg", f.dir / "DCIM/IMG_1.jpg");
  SourceCapture moved = f.Run("photos");
  CHECK(moved.items_moved == 1);
  CHECK(moved.items_deleted == 0);
  CHECK(f.vault->ListRevisions(f.Collection("photos"), "IMG_1.jpg")->size() == 1);
  CHECK(f.vault->Stats()->blobs == 1);
}

}  // namespace
}  // namespace holdfast::agent
