#include "tests/crash/agent_harness.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "platform/sha256.h"
#include "storage/vault.h"

namespace holdfast::testing {

namespace fs = std::filesystem;

void SetAgentSettings(const std::string& config_path, const nlohmann::json& settings) {
  nlohmann::json config = nlohmann::json::parse(ReadFileBytes(config_path));
  for (const auto& [key, value] : settings.items()) config["agent"][key] = value;
  WriteFileBytes(config_path, config.dump(2));
}

nlohmann::json QuickAgentSettings(const fs::path& alerts_file) {
  return {{"debounce_ms", 100},     {"max_delay_ms", 400}, {"rescan_interval_s", 3600},
          {"check_interval_s", 3600}, {"retry_min_s", 1},    {"retry_max_s", 2},
          {"desktop_notifications", false},
          {"alert_command", "printf '%s\\n' \"$1\" >> '" + alerts_file.string() + "'"}};
}

AgentProcess::AgentProcess(const std::string& vault, const std::string& config, const fs::path& log_file,
                           const std::vector<std::string>& prefix)
    : log_file_(log_file) {
  std::error_code ec;
  start_offset_ = fs::exists(log_file, ec) ? static_cast<size_t>(fs::file_size(log_file)) : 0;
  std::vector<std::string> argv = prefix;
  for (const std::string& a : {HoldfastBinary(), std::string("--vault"), vault, std::string("--config"), config,
                               std::string("run")}) {
    argv.push_back(a);
  }
  ChildOptions options;
  options.output_file = log_file.string();
  child_ = std::make_unique<ChildProcess>(argv, options);
}

bool AgentProcess::Kill() {
  const int status = child_->KillAndWait();
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

int AgentProcess::Stop() { return child_->Terminate(20000); }

std::string AgentProcess::Log() const { return ReadFileBytes(log_file_).substr(start_offset_); }

bool AgentProcess::WaitForLog(const std::string& text, int timeout_s, size_t from) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = Log();
    if (log.size() > from && log.find(text, from) != std::string::npos) return true;
    if (!child_->Running()) return Log().find(text, from) != std::string::npos;
    // The log is a file the agent appends to: poll it (the agent offers no
    // other event a test could wait on).
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int AgentProcess::CountLog(const std::string& text, size_t from) const {
  const std::string log = Log();
  int count = 0;
  for (size_t at = log.find(text, from); at != std::string::npos; at = log.find(text, at + text.size())) ++count;
  return count;
}

Problems HandsetInVault(const Handset& h) {
  Problems problems;
  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(h.vault, storage::Vault::OpenMode::kExisting);
  if (!vault) return {"cannot open the vault: " + vault.error().ToString()};
  size_t files = 0, live = 0;
  for (const auto& entry : fs::recursive_directory_iterator(h.tree)) files += entry.is_regular_file();
  for (const storage::CollectionInfo& c : *(*vault)->ListCollections()) {
    for (const storage::ItemRecord& item : *(*vault)->ListItems(c.id)) {
      if (item.deleted) continue;
      ++live;
      const fs::path file = h.tree / c.source / item.source_path;
      if (platform::ToHex(platform::Sha256Of(ReadFileBytes(file))) != platform::ToHex(item.sha256)) {
        problems.push_back(file.string() + " differs from its item in the vault");
      }
    }
  }
  if (live != files) {
    problems.push_back(std::to_string(live) + " live items for " + std::to_string(files) + " files on the handset");
  }
  return problems;
}

std::map<std::string, int64_t> LiveItemsPerSource(const std::string& vault_path) {
  std::map<std::string, int64_t> live;
  Result<std::unique_ptr<storage::Vault>> vault = storage::Vault::Open(vault_path, storage::Vault::OpenMode::kExisting);
  REQUIRE_MESSAGE(vault.has_value(), vault.error().ToString());
  for (const storage::CollectionInfo& c : *(*vault)->ListCollections()) {
    for (const storage::ItemRecord& item : *(*vault)->ListItems(c.id)) live[c.source] += item.deleted ? 0 : 1;
  }
  return live;
}

std::map<std::string, int64_t> ReportedNewPerSource(const std::string& log) {
  std::map<std::string, int64_t> reported;
  std::istringstream lines(log);
  std::string line;
  const std::string marker = "holdfast run: captured ";
  static const std::regex kPart(R"(([^;:]+): (\d+) new, (\d+) changed, (\d+) deleted)");
  while (std::getline(lines, line)) {
    const size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    const std::string summary = line.substr(at + marker.size());
    for (auto it = std::sregex_iterator(summary.begin(), summary.end(), kPart); it != std::sregex_iterator(); ++it) {
      std::string source = (*it)[1].str();
      source.erase(0, source.find_first_not_of(' '));
      reported[source] += std::stoll((*it)[2].str());
    }
  }
  return reported;
}

Problems ReportedNotInVault(const std::map<std::string, int64_t>& reported,
                            const std::map<std::string, int64_t>& live) {
  Problems problems;
  for (const auto& [source, count] : reported) {
    auto found = live.find(source);
    const int64_t have = found != live.end() ? found->second : 0;
    if (have < count) {
      problems.push_back("source " + source + ": the agent reported " + std::to_string(count) +
                         " new items as captured, the vault holds " + std::to_string(have));
    }
  }
  return problems;
}

namespace {

// As a contacts app writes a vdir file (the vdir rules ask for it): a
// temporary name in the same folder, then a rename over the real one.
void WriteCardAtomically(const fs::path& path, const std::string& text) {
  const fs::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  WriteFileBytes(temp, text);
  fs::rename(temp, path);
}

}  // namespace

void UseThePhone(const Handset& h, std::mt19937_64& rng, int round) {
  const std::string marker = "agent fault round " + std::to_string(round);
  const std::vector<fs::path> cards = FilesIn(h.tree / "contacts/personal");
  REQUIRE(!cards.empty());
  for (int i = 0; i < 2; ++i) {
    const fs::path& card = cards[rng() % cards.size()];
    std::string text = ReadFileBytes(card);
    const size_t end = text.rfind("END:VCARD");
    REQUIRE(end != std::string::npos);
    text.insert(end, "NOTE:" + marker + "\r\n");
    WriteCardAtomically(card, text);
  }
  // A new card: a model card with a new UID.
  std::string model = ReadFileBytes(cards[rng() % cards.size()]);
  const size_t uid = model.find("\nUID:");
  if (uid != std::string::npos) {
    model.insert(uid + 5, "round" + std::to_string(round) + "-");
  } else {
    const size_t end = model.rfind("END:VCARD");
    REQUIRE(end != std::string::npos);
    model.insert(end, "UID:agent-fault-round-" + std::to_string(round) + "\r\n");
  }
  WriteCardAtomically(h.tree / "contacts/personal" / ("fault-" + std::to_string(round) + ".vcf"), model);

  std::vector<fs::path> photos;
  for (const auto& entry : fs::recursive_directory_iterator(h.tree / "photos")) {
    if (entry.is_regular_file()) photos.push_back(entry.path());
  }
  std::sort(photos.begin(), photos.end());
  REQUIRE(!photos.empty());
  const fs::path& photo = photos[rng() % photos.size()];
  WriteFileBytes(photo, ReadFileBytes(photo) + marker);
  const fs::path& like = photos[rng() % photos.size()];
  WriteFileBytes(like.parent_path() / ("fault-" + std::to_string(round) + ".jpg"), ReadFileBytes(like) + marker);
}

}  // namespace holdfast::testing
