// Power cuts at every I/O event of the vault's workloads (tests/crash/power_cut_vfs.h).
//
// For each workload: one uninterrupted run counts its I/O events and gives the
// reference end state. Then, for every event and both device models (with and
// without power-safe overwrite), a child runs the workload and loses power at
// that event; the vault it leaves must open, verify, and hold every fact the
// child acknowledged (tests/crash/power_cut_harness.h). Some runs lose power
// a second time while resuming. Finally the work is resumed to the end and
// the vault must equal the reference. HOLDFAST_POWER_CUT_SEEDS raises the
// seeds per event for long runs (tools/reliability/power_cuts.sh).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>

#include "agent/archive/archive_import.h"
#include "agent/device/capture.h"
#include "agent/archive/export.h"
#include "agent/sync/holdfast_backend.h"
#include "agent/sync/sync_engine.h"
#include "platform/http_client.h"
#include "platform/sha256.h"
#include "storage/ledger.h"
#include "storage/migrations.h"
#include "storage/sqlite_handle.h"
#include "tests/crash/crash_handset.h"
#include "tests/crash/power_cut_harness.h"
#include "tests/support/server_process.h"
#include "tests/support/inventory.h"
#include "tests/support/manual_clock.h"
#include "platform/files.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;
using storage::ItemKind;
using storage::Vault;

constexpr int64_t kNowMs = kCrashNowMs;

const UseTmpfsForTests use_tmpfs;

// What a workload needs besides its steps.
struct Workload {
  std::string name;
  fs::path base;  // prepared once; each run starts from a copy
  std::vector<std::string> remotes;
  StepRunner run;
  // Parent-side set-up of each run's copy (a fresh server account, say).
  std::function<void(const fs::path& dir)> before_run = [](const fs::path&) {};
  // Checks after the work was resumed to its end (the server equals the vault, say).
  std::function<std::vector<std::string>(const fs::path& dir)> after_resume = [](const fs::path&) {
    return std::vector<std::string>{};
  };
};

struct CampaignFigures {
  uint64_t events = 0;
  int runs = 0;
  int cuts = 0;         // children that really lost power
  int second_cuts = 0;  // of those resumed, how many lost power again while resuming
  int resumed = 0;      // runs whose work was resumed to its end and compared with the reference
  std::vector<std::string> failures;
};

int ResumeEvery() {
  const char* env = std::getenv("HOLDFAST_POWER_CUT_RESUME_EVERY");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 4;
}

uint64_t SeedFor(uint64_t event, int model, int k) {
  // Rotate through keep-all (0), drop-all (1) and mixed fates (2+).
  uint64_t pick = (event + static_cast<uint64_t>(model) + static_cast<uint64_t>(k)) % 4;
  return pick < 2 ? pick : 2 + event * 7 + static_cast<uint64_t>(k) * 131 + static_cast<uint64_t>(model);
}

// `synchronous_off` runs the negative control: the same campaign against a
// vault that does not sync, which must fail.
CampaignFigures RunCampaign(const Workload& w, int seeds_per_event, std::ostream& log,
                            bool synchronous_off = false) {
  PowerCutPlan no_cut;
  no_cut.synchronous_off = synchronous_off;
  CampaignFigures figures;
  TempDir root;
  // The reference run: no cut.
  fs::path ref = root / "reference";
  CopyTree(w.base, ref);
  w.before_run(ref);
  ChildOutcome clean = RunUnderPowerCut(no_cut, ref, 1, w.run);
  if (!clean.finished || !clean.error.empty()) {
    figures.failures.push_back(w.name + ": the uninterrupted run failed: " + clean.error);
    return figures;
  }
  figures.events = clean.events;
  const std::string reference = VaultState(ref / "vault.db", w.remotes);
  for (const std::string& p : w.after_resume(ref)) figures.failures.push_back(w.name + " reference: " + p);

  const int stride = synchronous_off ? 7 : EventStride();
  std::mt19937_64 rng(12345);
  int run_number = 0;
  for (uint64_t event = 1; event <= clean.events; event += static_cast<uint64_t>(stride)) {
    for (int model = 0; model < 2; ++model) {
      for (int k = 0; k < seeds_per_event; ++k) {
        ++run_number;
        PowerCutPlan plan = no_cut;
        plan.cut_at_event = event;
        plan.seed = SeedFor(event, model, k);
        plan.powersafe_overwrite = model == 1;
        const std::string where = w.name + " event " + std::to_string(event) + " seed " +
                                  std::to_string(plan.seed) + (plan.powersafe_overwrite ? " psow" : " no-psow");
        fs::path dir = root / ("run" + std::to_string(run_number));
        CopyTree(w.base, dir);
        w.before_run(dir);
        ++figures.runs;
        ChildOutcome first = RunUnderPowerCut(plan, dir, 1, w.run);
        if (!first.error.empty()) {
          figures.failures.push_back(where + ": child failed: " + first.error);
          fs::remove_all(dir);
          continue;
        }
        if (first.cut) ++figures.cuts;
        std::vector<std::string> facts = first.facts;
        for (const std::string& p : CheckVaultAfterCut(dir / "vault.db", facts, w.remotes)) {
          figures.failures.push_back(where + ": " + p);
        }
        int resume_from = first.last_step + 1;
        // Every third run loses power again while it recovers from the cut.
        if (first.cut && run_number % 3 == 0) {
          PowerCutPlan again = plan;
          again.cut_at_event = 1 + rng() % std::max<uint64_t>(1, clean.events / 2);
          again.seed = rng();
          ChildOutcome second = RunUnderPowerCut(again, dir, resume_from, w.run);
          if (!second.error.empty()) figures.failures.push_back(where + ": resume (cut again) failed: " + second.error);
          if (second.cut) ++figures.second_cuts;
          facts.insert(facts.end(), second.facts.begin(), second.facts.end());
          for (const std::string& p : CheckVaultAfterCut(dir / "vault.db", facts, w.remotes)) {
            figures.failures.push_back(where + " then cut again at " + std::to_string(again.cut_at_event) + ": " + p);
          }
          resume_from = std::max(resume_from, second.last_step + 1);
        }
        // Resuming to the end costs a whole run: CI does it for every fourth
        // run (and each run cut twice), the long run for all.
        if (run_number % ResumeEvery() != 0 && !(first.cut && run_number % 3 == 0)) {
          fs::remove_all(dir);
          continue;
        }
        ++figures.resumed;
        ChildOutcome rest = RunUnderPowerCut(no_cut, dir, resume_from, w.run);
        if (!rest.finished || !rest.error.empty()) {
          figures.failures.push_back(where + ": resuming failed: " + rest.error);
        } else {
          std::string state = VaultState(dir / "vault.db", w.remotes);
          if (state != reference) {
            figures.failures.push_back(where + ": after resuming, the vault differs from the uninterrupted run:\n" +
                                       state + "--- expected ---\n" + reference);
          }
          for (const std::string& p : w.after_resume(dir)) figures.failures.push_back(where + " after resuming: " + p);
        }
        fs::remove_all(dir);
        if (figures.failures.size() > 20) return figures;  // enough to diagnose
      }
    }
  }
  log << "power cuts: " << w.name << ": " << figures.events << " I/O events, " << figures.runs << " runs, "
      << figures.cuts << " cuts, " << figures.second_cuts << " cut again while resuming, " << figures.resumed << " resumed to the end, "
      << figures.failures.size() << " failures\n";
  return figures;
}

void ReportFailures(const CampaignFigures& figures) {
  for (size_t i = 0; i < figures.failures.size() && i < 5; ++i) MESSAGE(figures.failures[i]);
  CHECK(figures.failures.empty());
  CHECK(figures.runs > 0);
  CHECK(figures.cuts > 0);  // the harness really cut power
}

std::string Fail(const Status& status, const std::string& what) { return what + ": " + status.ToString(); }

// ---- Workload: revisions, tombstones, blobs and a batch through the vault's API.

std::string RevisionsSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open");
  Vault& v = **vault;
  auto contacts = v.EnsureCollection(ItemKind::kContact, "people", "direct");
  if (!contacts) return Fail(contacts.error(), "collection");
  auto photos = v.EnsureCollection(ItemKind::kPhoto, "camera", "direct");
  if (!photos) return Fail(photos.error(), "collection");
  for (int step = first_step; step <= 5; ++step) {
    if (step == 1) {
      for (int i = 0; i < 10; ++i) {
        std::string uid = "u" + std::to_string(i), card = VCard(uid, "Person " + uid, 1);
        auto put = v.PutItem(*contacts, uid, card, uid, kNowMs + i);
        if (!put) return Fail(put.error(), "put " + uid);
        acks.Say("rev direct people " + uid + " " + Sha(card));
      }
    } else if (step == 2) {
      for (int i = 0; i < 5; ++i) {
        std::string uid = "u" + std::to_string(i), card = VCard(uid, "Person " + uid, 2);
        auto put = v.PutItem(*contacts, uid, card, uid, kNowMs + 100 + i);
        if (!put) return Fail(put.error(), "change " + uid);
        acks.Say("rev direct people " + uid + " " + Sha(card));
      }
    } else if (step == 3) {
      for (int i = 7; i < 10; ++i) {
        std::string uid = "u" + std::to_string(i);
        auto gone = v.TombstoneItem(*contacts, uid, kNowMs + 200 + i);
        if (!gone) return Fail(gone.error(), "tombstone " + uid);
        acks.Say("tomb direct people " + uid);
      }
    } else if (step == 4) {
      std::string photo = PseudoRandomBytes(700 * 1024, 4);
      size_t offset = 0;
      auto blob = v.blobs().PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
        size_t n = std::min(capacity, photo.size() - offset);
        std::memcpy(buffer, photo.data() + offset, n);
        offset += n;
        return n;
      });
      if (!blob) return Fail(blob.error(), "blob");
      acks.Say("blob " + platform::ToHex(blob->sha256));
      auto put = v.PutItemBlob(*photos, "DCIM/1.jpg", *blob, "1.jpg", kNowMs + 300);
      if (!put) return Fail(put.error(), "photo item");
      acks.Say("rev direct camera DCIM/1.jpg " + Sha(photo));
    } else if (step == 5) {
      auto batch = v.BeginBatch();
      if (!batch) return Fail(batch.error(), "batch");
      std::vector<std::string> facts;
      for (int i = 10; i < 15; ++i) {
        std::string uid = "u" + std::to_string(i), card = VCard(uid, "Person " + uid, 1);
        auto put = v.PutItem(*contacts, uid, card, uid, kNowMs + 400 + i);
        if (!put) return Fail(put.error(), "batched put " + uid);
        facts.push_back("rev direct people " + uid + " " + Sha(card));
      }
      std::string small_photo = PseudoRandomBytes(300 * 1024, 5);
      auto blob = v.blobs().PutBlobBytes(small_photo, platform::Sha256Of(small_photo));
      if (!blob) return Fail(blob.error(), "batched blob");
      auto put = v.PutItemBlob(*photos, "DCIM/2.jpg", *blob, "2.jpg", kNowMs + 500);
      if (!put) return Fail(put.error(), "batched photo");
      facts.push_back("rev direct camera DCIM/2.jpg " + Sha(small_photo));
      Status committed = batch->Commit();
      if (!committed.ok()) return Fail(committed, "commit");
      for (const std::string& f : facts) acks.Say(f);  // durable only now
    }
    acks.Say("step " + std::to_string(step));
  }
  return "";
}

Workload RevisionsWorkload(const fs::path& base) {
  Workload w;
  w.name = "revisions, tombstones, blobs, batch";
  w.base = base;
  MakeEmptyVault(base);
  w.run = RevisionsSteps;
  return w;
}

// ---- Workload: capture of a small handset, twice, with changes between.

std::string CaptureSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open");
  agent::Config config = HandsetConfig(dir / "handset");
  for (int step = first_step; step <= 2; ++step) {
    HandsetAt(dir / "handset", step);
    agent::CaptureOptions options;
    options.now_ms = kNowMs + step * 1000;
    auto report = agent::Capture(**vault, config, options);
    if (!report) return Fail(report.error(), "capture step " + std::to_string(step));
    if (!report->all_scanned()) return "capture step " + std::to_string(step) + " did not scan every source";
    acks.SayVaultContents(**vault);
    acks.Say("step " + std::to_string(step));
  }
  return "";
}

Workload CaptureWorkload(const fs::path& base) {
  Workload w;
  w.name = "capture";
  w.base = base;
  MakeEmptyVault(base);
  w.run = CaptureSteps;
  return w;
}

// ---- Workloads against a real server: push, and recovery after the server lost everything.

// The run's remote: a fresh account on the test's server, written into the
// run's folder by the parent (a new account has a new epoch and holds nothing).
struct ServerSide {
  TempDir dir;
  std::string data = (dir / "server").string();
  ServerProcess server{data};
  int accounts = 0;

  void NewAccount(const fs::path& run_dir) {
    std::string account = "run" + std::to_string(++accounts);
    WriteTokenFile(run_dir / "token", AddAccount(data, account));
    WriteFileBytes(run_dir / "remote.txt", server.url() + " " + account);
  }
  std::string AccountOf(const fs::path& run_dir) {
    std::string text = ReadFileBytes(run_dir / "remote.txt");
    return text.substr(text.find(' ') + 1);
  }
  std::vector<std::string> ServerEqualsVault(const fs::path& run_dir) {
    Inventory vault = VaultInventory((run_dir / "vault.db").string());
    Inventory server_side = ServerInventory(data, AccountOf(run_dir));
    if (vault.empty()) return {"the vault's inventory is empty"};
    if (vault != server_side) return {"the server's inventory differs from the vault's"};
    return {};
  }
};

agent::Config RemoteConfig(const fs::path& dir) {
  agent::Config config = HandsetConfig(dir / "handset");
  std::string text = ReadFileBytes(dir / "remote.txt");
  agent::RemoteConfig remote;
  remote.name = "server";
  remote.url = text.substr(0, text.find(' '));
  remote.account = text.substr(text.find(' ') + 1);
  remote.token_file = (dir / "token").string();
  config.remotes.push_back(remote);
  return config;
}

agent::RemoteOptions QuickRetries() {
  agent::RemoteOptions options;
  options.backoff_base_ms = 5;
  options.backoff_cap_ms = 50;
  return options;
}

// `holdfast push` (detection, then a push) at a fixed time.
Result<agent::SyncReport> PushAt(Vault& vault, const fs::path& dir, int64_t now_ms) {
  const agent::Config config = RemoteConfig(dir);
  auto backend = agent::HoldfastBackend::Connect(config.remotes.front(), QuickRetries());
  if (!backend) return backend.error();
  const testing::ManualClock clock(now_ms);
  agent::SyncEngine engine(vault, **backend, clock);
  return engine.Push();
}

std::string PushSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open");
  if (first_step > 1) return "";
  auto report = PushAt(**vault, dir, kNowMs + 10'000);
  if (!report) return Fail(report.error(), "push");
  acks.SayLedger(**vault, "server");
  acks.Say("step 1");
  return "";
}

std::string RecoverSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open");
  if (first_step > 1) return "";
  const agent::Config config = RemoteConfig(dir);
  auto backend = agent::HoldfastBackend::Connect(config.remotes.front(), QuickRetries());
  if (!backend) return Fail(backend.error(), "connect");
  const testing::ManualClock clock(kNowMs + 20'000);
  agent::SyncEngine engine(**vault, **backend, clock);
  auto report = engine.Recover(agent::RecoverRequest{});
  if (!report) return Fail(report.error(), "recover");
  if (!report->started) {
    // Nothing to do: right only if a run before the cut had finished and recorded it.
    auto record = storage::Ledger(**vault, "server").LastRecoveryRecord();
    auto pending = storage::Ledger(**vault, "server").Recovery();
    if (!record || !*record || !(*record)->verified || !pending || *pending) {
      return "recover found nothing to do, yet no verified recovery is recorded";
    }
  } else if (!report->verified) {
    return "recover did not end verified (" + std::to_string(report->items_differing_at_end) + " items differ)";
  }
  acks.Say("recovered server");
  acks.SayLedger(**vault, "server");
  acks.Say("step 1");
  return "";
}

Workload PushWorkload(const fs::path& base, ServerSide& server) {
  Workload w;
  w.name = "push (ledger updates)";
  w.base = base;
  w.remotes = {"server"};
  MakeCapturedVault(base);
  w.run = PushSteps;
  w.before_run = [&server](const fs::path& dir) { server.NewAccount(dir); };
  w.after_resume = [&server](const fs::path& dir) { return server.ServerEqualsVault(dir); };
  return w;
}

Workload RecoveryWorkload(const fs::path& base, ServerSide& server) {
  Workload w;
  w.name = "recovery (progress, ledger, record)";
  w.base = base;
  w.remotes = {"server"};
  MakeCapturedVault(base);
  // Pushed once; each run then points the remote at a new, empty account:
  // the server lost everything.
  server.NewAccount(base);
  {
    auto vault = Vault::Open(base / "vault.db", Vault::OpenMode::kExisting);
    REQUIRE(vault);
    auto pushed = PushAt(**vault, base, kNowMs + 10'000);
    REQUIRE_MESSAGE(pushed, (pushed ? "" : pushed.error().ToString()));
  }
  w.run = RecoverSteps;
  w.before_run = [&server](const fs::path& dir) { server.NewAccount(dir); };
  w.after_resume = [&server](const fs::path& dir) { return server.ServerEqualsVault(dir); };
  return w;
}

// ---- Workload: import of an archive into an empty vault.

std::string ImportSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open");
  if (first_step > 1) return "";
  Vault* v = vault->get();
  auto report = agent::ImportArchive(dir / "archive.tar", [v]() -> Result<Vault*> { return v; });
  if (!report) return Fail(report.error(), "import");
  acks.SayVaultContents(*v);
  acks.Say("step 1");
  return "";
}

Workload ImportWorkload(const fs::path& base) {
  Workload w;
  w.name = "import";
  w.base = base;
  TempDir source;
  MakeCapturedVault(source.path());
  {
    auto vault = Vault::Open(source / "vault.db", Vault::OpenMode::kExisting);
    REQUIRE(vault);
    agent::ExportOptions options;
    options.format = agent::ExportFormat::kArchive;
    options.to = base / "archive.tar";
    fs::create_directories(base);
    auto exported = agent::Export(**vault, options);
    REQUIRE_MESSAGE(exported, (exported ? "" : exported.error().ToString()));
  }
  MakeEmptyVault(base);
  w.run = ImportSteps;
  return w;
}

// ---- Workload: every migration, from a vault a release at version 0 or 1 left.

std::string MigrationSteps(const fs::path& dir, int first_step, Acks& acks) {
  ArmPowerCutVfs();
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return Fail(vault.error(), "open (migrating)");
  acks.Say("schema " + std::to_string(storage::kCurrentSchemaVersion));
  if (first_step <= 1) acks.Say("step 1");
  if (first_step <= 2) {
    auto books = (*vault)->EnsureCollection(ItemKind::kContact, "after", "phone");
    if (!books) return Fail(books.error(), "collection");
    std::string card = VCard("m1", "Migrated", 1);
    auto put = (*vault)->PutItem(*books, "m1", card, "m1", kNowMs);
    if (!put) return Fail(put.error(), "put");
    acks.Say("rev phone after m1 " + Sha(card));
    acks.Say("step 2");
  }
  return "";
}

Workload MigrationWorkload(const fs::path& base, int from_version) {
  Workload w;
  w.name = "migrations from version " + std::to_string(from_version);
  w.base = base;
  fs::create_directories(base);
  fs::path path = base / "vault.db";
  REQUIRE(platform::CreateEmptyFile(path, 0600).ok());
  auto db = storage::Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
  REQUIRE(db);
  REQUIRE((*db)->Exec("PRAGMA page_size = 16384").ok());
  REQUIRE((*db)->Exec("PRAGMA application_id = " + std::to_string(storage::kVaultApplicationId)).ok());
  REQUIRE((*db)->Exec("PRAGMA journal_mode = WAL").ok());
  REQUIRE(storage::MigrateTo(**db, from_version).ok());
  if (from_version >= 1) {
    REQUIRE((*db)->Exec("INSERT INTO collections(id, kind, name, source, created_at_ms) "
                        "VALUES(1, 'contact', 'old', 'phone', 5)").ok());
  }
  db->reset();
  w.run = [from_version](const fs::path& dir, int first_step, Acks& acks) {
    std::string error = MigrationSteps(dir, first_step, acks);
    if (error.empty() && from_version >= 1) acks.Say("collection phone old");
    return error;
  };
  return w;
}

// ---- I/O errors: the Nth operation fails once, or every one from the Nth on.

struct IoErrorFigures {
  uint64_t operations = 0;
  int runs = 0;
  int surfaced = 0;  // the workload stopped with an error
  int absorbed = 0;  // a retry or the best-effort checkpointer took it; the work finished
  std::vector<std::string> failures;
};

IoErrorFigures RunIoErrorCampaign(const Workload& w, int runs_per_mode, std::ostream& log) {
  IoErrorFigures figures;
  TempDir root;
  fs::path ref = root / "reference";
  CopyTree(w.base, ref);
  w.before_run(ref);
  PowerCutPlan count_only;
  count_only.fail_at_op = UINT64_MAX;  // counts every operation, fails none
  ChildOutcome clean = RunUnderPowerCut(count_only, ref, 1, w.run);
  REQUIRE_MESSAGE(clean.finished, clean.error);
  figures.operations = clean.events;
  const std::string reference = VaultState(ref / "vault.db", w.remotes);
  const char* env = std::getenv("HOLDFAST_IO_ERROR_STRIDE");
  uint64_t stride = env != nullptr && std::atoi(env) > 0
                        ? static_cast<uint64_t>(std::atoi(env))
                        : std::max<uint64_t>(1, clean.events / static_cast<uint64_t>(runs_per_mode));
  int run = 0;
  for (uint64_t op = 1; op <= clean.events; op += stride) {
    for (bool sticky : {false, true}) {
      PowerCutPlan plan;
      plan.fail_at_op = op;
      plan.fail_sticky = sticky;
      const std::string where = w.name + " op " + std::to_string(op) + (sticky ? " sticky" : " once");
      fs::path dir = root / ("run" + std::to_string(++run));
      CopyTree(w.base, dir);
      w.before_run(dir);
      ++figures.runs;
      ChildOutcome out = RunUnderPowerCut(plan, dir, 1, w.run);
      if (out.finished) {
        ++figures.absorbed;
      } else {
        ++figures.surfaced;
        // A clear error: SQLite's I/O error, named as such, with what was being done.
        if (out.error.find("io-error") == std::string::npos) {
          figures.failures.push_back(where + ": unclear error: " + out.error);
        }
      }
      for (const std::string& p : CheckVaultAfterCut(dir / "vault.db", out.facts, w.remotes)) {
        figures.failures.push_back(where + ": " + p);
      }
      // The disk works again: the work completes and equals the uninterrupted run.
      ChildOutcome rest = RunUnderPowerCut(PowerCutPlan{}, dir, out.last_step + 1, w.run);
      if (!rest.finished || !rest.error.empty()) {
        figures.failures.push_back(where + ": once the disk worked again, the work failed: " + rest.error);
      } else if (VaultState(dir / "vault.db", w.remotes) != reference) {
        figures.failures.push_back(where + ": once the disk worked again, the vault differs from the uninterrupted run");
      }
      fs::remove_all(dir);
      if (figures.failures.size() > 20) return figures;
    }
  }
  log << "I/O errors: " << w.name << ": " << figures.operations << " operations, " << figures.runs << " runs, "
      << figures.surfaced << " stopped with an error, " << figures.absorbed << " absorbed, "
      << figures.failures.size() << " failures\n";
  return figures;
}

TEST_CASE("the vault keeps every acknowledged revision, tombstone and blob through a power cut at any I/O event") {
  TempDir base;
  CampaignFigures figures = RunCampaign(RevisionsWorkload(base / "base"), SeedsPerEvent(1), std::cout);
  ReportFailures(figures);
}

TEST_CASE("negative control: with synchronous=OFF the same campaign finds lost or damaged writes") {
  TempDir base;
  std::ostringstream log;
  CampaignFigures figures = RunCampaign(RevisionsWorkload(base / "base"), 1, log, /*synchronous_off=*/true);
  std::cout << "negative control (synchronous=OFF): " << figures.runs << " runs, " << figures.failures.size()
            << " failures found\n";
  REQUIRE_MESSAGE(!figures.failures.empty(), "the harness found nothing wrong with a vault that never syncs: it is broken");
  MESSAGE("first failure found: " << figures.failures.front().substr(0, 300));
}

TEST_CASE("capture survives a power cut at any I/O event and resumes to the same vault") {
  TempDir base;
  CampaignFigures figures = RunCampaign(CaptureWorkload(base / "base"), SeedsPerEvent(1), std::cout);
  ReportFailures(figures);
}

TEST_CASE("push survives a power cut at any I/O event; resumed, the server holds exactly the vault") {
  REQUIRE(platform::InitHttpLibrary().ok());
  ServerSide server;
  TempDir base;
  CampaignFigures figures = RunCampaign(PushWorkload(base / "base", server), SeedsPerEvent(1), std::cout);
  ReportFailures(figures);
}

TEST_CASE("a recovery survives a power cut at any I/O event and ends verified with the server equal to the vault") {
  REQUIRE(platform::InitHttpLibrary().ok());
  ServerSide server;
  TempDir base;
  CampaignFigures figures = RunCampaign(RecoveryWorkload(base / "base", server), SeedsPerEvent(1), std::cout);
  ReportFailures(figures);
}

TEST_CASE("an archive import survives a power cut at any I/O event") {
  TempDir base;
  CampaignFigures figures = RunCampaign(ImportWorkload(base / "base"), SeedsPerEvent(1), std::cout);
  ReportFailures(figures);
}

TEST_CASE("every migration survives a power cut at any I/O event") {
  for (int from_version : {0, 1}) {
    CAPTURE(from_version);
    TempDir base;
    CampaignFigures figures = RunCampaign(MigrationWorkload(base / "base", from_version), SeedsPerEvent(2), std::cout);
    ReportFailures(figures);
  }
}

TEST_CASE("an I/O error at any operation, once or for good, gives a clear error and loses nothing") {
  for (int which = 0; which < 2; ++which) {
    TempDir base;
    Workload w = which == 0 ? RevisionsWorkload(base / "base") : CaptureWorkload(base / "base");
    CAPTURE(w.name);
    IoErrorFigures figures = RunIoErrorCampaign(w, 150, std::cout);
    for (size_t i = 0; i < figures.failures.size() && i < 5; ++i) MESSAGE(figures.failures[i]);
    CHECK(figures.failures.empty());
    CHECK(figures.surfaced > 0);
  }
}

}  // namespace
}  // namespace holdfast::testing

