#include "tests/crash/power_cut_harness.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "platform/sha256.h"
#include "storage/ledger.h"

namespace holdfast::testing {
namespace fs = std::filesystem;
using storage::Vault;

namespace {

constexpr int kCutExit = 42;
constexpr int kErrorExit = 3;

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

// (source, collection name) -> id, for the facts.
std::map<std::pair<std::string, std::string>, int64_t> CollectionIds(Vault& vault) {
  std::map<std::pair<std::string, std::string>, int64_t> ids;
  auto list = vault.ListCollections();
  if (list) {
    for (const auto& c : *list) ids[{c.source, c.name}] = c.id;
  }
  return ids;
}

}  // namespace

void Acks::Say(const std::string& fact) {
  std::string line = fact + "\n";
  ssize_t ignored = write(fd_, line.data(), line.size());
  (void)ignored;
}

void Acks::SayVaultContents(Vault& vault) {
  auto collections = vault.ListCollections();
  if (!collections) return;
  for (const auto& c : *collections) {
    auto items = vault.ListItems(c.id);
    if (!items) continue;
    for (const auto& item : *items) {
      auto revisions = vault.ListRevisions(c.id, item.uid);
      if (revisions) {
        for (const auto& r : *revisions) {
          Say("rev " + c.source + " " + c.name + " " + item.uid + " " + platform::ToHex(r.sha256));
          if (r.in_blob) Say("blob " + platform::ToHex(r.sha256));
        }
      }
      if (item.deleted) Say("tomb " + c.source + " " + c.name + " " + item.uid);
    }
  }
}

void Acks::SayLedger(Vault& vault, const std::string& remote) {
  auto collections = vault.ListCollections();
  if (!collections) return;
  for (const auto& c : *collections) {
    auto entries = storage::Ledger(vault, remote).EntriesFor(c.id);
    if (!entries) continue;
    for (const auto& e : *entries) {
      Say("ledger " + remote + " " + c.source + " " + c.name + " " + e.uid + " " + platform::ToHex(e.sha256));
    }
  }
}

ChildOutcome RunUnderPowerCut(const PowerCutPlan& plan, const fs::path& dir, int first_step,
                              const StepRunner& runner) {
  ChildOutcome outcome;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    outcome.error = "pipe failed";
    return outcome;
  }
  pid_t pid = fork();
  if (pid < 0) {
    outcome.error = "fork failed";
    return outcome;
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    Acks acks(pipe_fds[1]);
    InstallPowerCutVfs(plan, [] { _exit(kCutExit); });
    std::string error = runner(dir, first_step, acks);
    uint64_t events = PowerCutEvents();
    DisarmPowerCutVfs();
    FlushPowerCutVfs();
    if (!error.empty()) {
      acks.Say("error " + error);
      _exit(kErrorExit);
    }
    acks.Say("events " + std::to_string(events));
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string text;
  char buffer[65536];
  while (true) {
    ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    if (words[0] == "events" && words.size() == 2) {
      outcome.events = std::stoull(words[1]);
    } else if (words[0] == "error") {
      outcome.error = line.substr(6);
    } else {
      if (words[0] == "step" && words.size() == 2) outcome.last_step = std::max(outcome.last_step, std::stoi(words[1]));
      outcome.facts.push_back(line);
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kCutExit) {
    outcome.cut = true;
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.finished = true;
  } else if (outcome.error.empty()) {
    outcome.error = WIFSIGNALED(status) ? "child died of signal " + std::to_string(WTERMSIG(status))
                                        : "child exited with " + std::to_string(WEXITSTATUS(status));
  }
  return outcome;
}

std::vector<std::string> CheckVaultAfterCut(const fs::path& path, const std::vector<std::string>& facts,
                                            const std::vector<std::string>& remotes) {
  std::vector<std::string> problems;
  auto vault = Vault::Open(path, Vault::OpenMode::kExisting);
  if (!vault) {
    problems.push_back("the vault does not open: " + vault.error().ToString());
    return problems;
  }
  auto report = (*vault)->Verify();
  if (!report) {
    problems.push_back("verify could not run: " + report.error().ToString());
  } else {
    for (const auto& d : report->damage) problems.push_back("verify: " + d.what + " " + d.where + ": " + d.detail);
  }
  auto ids = CollectionIds(**vault);
  auto collection = [&](const std::string& source, const std::string& name) -> int64_t {
    auto it = ids.find({source, name});
    return it == ids.end() ? 0 : it->second;
  };
  for (const std::string& fact : facts) {
    std::vector<std::string> w = Words(fact);
    if (w[0] == "rev" && w.size() == 5) {
      int64_t id = collection(w[1], w[2]);
      auto revisions = id ? (*vault)->ListRevisions(id, w[3]) : Result<std::vector<storage::RevisionInfo>>(std::vector<storage::RevisionInfo>{});
      bool found = false;
      if (revisions) {
        for (const auto& r : *revisions) found = found || platform::ToHex(r.sha256) == w[4];
      }
      if (!found) problems.push_back("acknowledged revision missing: " + fact);
    } else if (w[0] == "tomb" && w.size() == 4) {
      int64_t id = collection(w[1], w[2]);
      auto item = id ? (*vault)->FindItem(id, w[3]) : Result<std::optional<storage::ItemRecord>>(std::nullopt);
      if (!item || !*item || !(*item)->deleted) problems.push_back("acknowledged tombstone missing: " + fact);
    } else if (w[0] == "blob" && w.size() == 2) {
      platform::Digest digest{};
      auto has = platform::FromHex(w[1], &digest) ? (*vault)->blobs().HasBlob(digest) : Result<bool>(false);
      if (!has || !*has) problems.push_back("acknowledged blob missing: " + fact);
    } else if (w[0] == "ledger" && w.size() == 6) {
      int64_t id = collection(w[2], w[3]);
      auto entries = id ? storage::Ledger(**vault, w[1]).EntriesFor(id) : Result<std::vector<storage::LedgerEntry>>(std::vector<storage::LedgerEntry>{});
      bool found = false;
      if (entries) {
        for (const auto& e : *entries) found = found || (e.uid == w[4] && platform::ToHex(e.sha256) == w[5]);
      }
      if (!found) problems.push_back("acknowledged ledger entry missing: " + fact);
    } else if (w[0] == "recovered" && w.size() == 2) {
      auto record = storage::Ledger(**vault, w[1]).LastRecoveryRecord();
      if (!record || !*record || !(*record)->verified) problems.push_back("acknowledged recovery record missing: " + fact);
    } else if (w[0] == "collection" && w.size() == 3) {
      if (collection(w[1], w[2]) == 0) problems.push_back("acknowledged collection missing: " + fact);
    } else if (w[0] == "schema" && w.size() == 2) {
      if ((*vault)->schema_version() != std::stoi(w[1])) problems.push_back("schema version went back: " + fact);
    }
  }
  // Invariant: the ledger speaks only of items the vault holds, with content they had.
  for (const std::string& remote : remotes) {
    for (const auto& [key, id] : ids) {
      auto entries = storage::Ledger(**vault, remote).EntriesFor(id);
      if (!entries) {
        problems.push_back("ledger unreadable: " + entries.error().ToString());
        continue;
      }
      for (const auto& e : *entries) {
        auto revisions = (*vault)->ListRevisions(id, e.uid);
        bool had = false;
        if (revisions) {
          for (const auto& r : *revisions) had = had || r.sha256 == e.sha256;
        }
        if (!had) problems.push_back("ledger entry for content the vault never held: " + key.first + "/" + key.second + " " + e.uid);
      }
    }
  }
  return problems;
}

std::string VaultState(const fs::path& path, const std::vector<std::string>& remotes) {
  auto vault = Vault::Open(path, Vault::OpenMode::kExisting);
  if (!vault) return "does not open: " + vault.error().ToString();
  std::ostringstream out;
  auto collections = (*vault)->ListCollections();
  if (!collections) return "collections unreadable";
  std::map<std::string, int64_t> ordered;
  for (const auto& c : *collections) ordered[c.source + "/" + c.name + " " + storage::ItemKindName(c.kind)] = c.id;
  for (const auto& [name, id] : ordered) {
    out << "collection " << name << "\n";
    auto items = (*vault)->ListItems(id);
    if (!items) return "items unreadable";
    for (const auto& item : *items) {
      out << "  item " << item.uid << (item.deleted ? " deleted " : " live ") << platform::ToHex(item.sha256)
          << " at " << item.source_path << "\n";
      std::set<std::string> contents;
      auto revisions = (*vault)->ListRevisions(id, item.uid);
      if (revisions) {
        for (const auto& r : *revisions) contents.insert(platform::ToHex(r.sha256));
      }
      for (const auto& c : contents) out << "    had " << c << "\n";
    }
    for (const std::string& remote : remotes) {
      auto entries = storage::Ledger(**vault, remote).EntriesFor(id);
      if (!entries) continue;
      for (const auto& e : *entries) out << "  ledger " << remote << " " << e.uid << " " << platform::ToHex(e.sha256) << "\n";
    }
  }
  auto stats = (*vault)->Stats();
  if (stats) out << "blobs " << stats->blobs << " " << stats->blob_bytes << "\n";
  for (const std::string& remote : remotes) {
    auto recovery = storage::Ledger(**vault, remote).Recovery();
    if (recovery && *recovery) out << "recovery pending for " << remote << "\n";
  }
  return out.str();
}

void CopyTree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

int SeedsPerEvent(int default_seeds) {
  const char* env = std::getenv("HOLDFAST_POWER_CUT_SEEDS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : default_seeds;
}

int EventStride() {
  const char* env = std::getenv("HOLDFAST_POWER_CUT_STRIDE");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 1;
}

}  // namespace holdfast::testing
