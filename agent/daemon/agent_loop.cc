#include "agent/daemon/agent_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "agent/config.h"
#include "agent/daemon/agent_state.h"
#include "agent/daemon/alerts.h"
#include "agent/daemon/backoff.h"
#include "agent/device/capture.h"
#include "agent/sync/connect_remote.h"
#include "agent/sync/sync_engine.h"
#include "platform/control_socket.h"
#include "platform/service_manager.h"
#include "platform/stop_request.h"
#include "platform/tree_watcher.h"
#include "storage/capture_state.h"
#include "storage/vault.h"

namespace holdfast::agent {
namespace {

// Signals reach the loop through a pipe (the handler only writes a byte).
int g_signal_pipe = -1;

void OnSignal(int signal) {
  if (signal == SIGTERM || signal == SIGINT) platform::RequestStop();
  const unsigned char byte = static_cast<unsigned char>(signal);
  const int saved = errno;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe, &byte, 1);
  errno = saved;
}

constexpr int kPhotoTreeDepth = 64;  // as deep as capture scans a photo folder
constexpr int kVdirDepth = 1;        // a vdir folder and its collection folders
// EDS's data folder: <kind>/<collection>/contacts.db, calendar.ics, ... (EDS
// writes there on every change; what changed is read through EDS).
constexpr int kEdsDepth = 2;
constexpr int64_t kVaultRetryMs = 1000;

bool IsSingleFile(const SourceConfig& source) {
  if (source.kind == SourceKind::kPhotos || source.kind == SourceKind::kEds) return false;
  const std::string ext = source.kind == SourceKind::kContacts ? ".vcf" : ".ics";
  if (source.path.size() < ext.size()) return false;
  std::string tail = source.path.substr(source.path.size() - ext.size());
  std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return std::tolower(c); });
  return tail == ext;
}

// The device number of the file system `path` is on; nullopt when it is
// missing.
std::optional<uint64_t> RootDevice(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_dev);
}

std::string Plural(int64_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// One piece of work, done by the worker thread with the vault.
struct Job {
  enum class Kind { kCapture, kSync } kind = Kind::kCapture;
  // kCapture: these sources (by name), each whole (nullopt) or only the
  // files change notification named (CaptureOptions::only_paths).
  std::map<std::string, std::optional<std::set<std::string>>> sources;
  std::string remote;                // kSync
  Config config;                     // a copy: a reload may replace the loop's while the job runs
  // Results.
  Status error;
  std::vector<SourceCapture> captured;
  std::optional<SyncReport> synced;
  std::optional<int64_t> retry_after_ms;
};

// A remote's timing, beside its RemoteActivity in the state.
struct RemoteTimer {
  int64_t due_steady_ms = 0;
};

class AgentLoop {
 public:
  explicit AgentLoop(const AgentRunOptions& options)
      : options_(options), clock_(*options.clock), rng_(std::random_device{}()), alerts_(AgentSettings{}) {}
  ~AgentLoop() {
    if (worker_.joinable()) worker_.join();
    if (g_signal_pipe >= 0) {
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      signal(SIGHUP, SIG_DFL);
      close(signal_read_);
      close(g_signal_pipe);
      g_signal_pipe = -1;
    }
  }

  Status Start();
  void Run();

 private:
  int64_t Now() const { return clock_.SteadyMs(); }
  int64_t Wall() const { return clock_.NowMs(); }

  Status InstallSignals();
  void Rewatch();
  void ResetRemotes();
  void ScheduleCaptureOf(const std::set<std::string>& sources);
  void ScheduleCaptureOfFiles(const std::string& source, const std::set<std::string>& files);
  void Debounce();
  void ScheduleCaptureOfAll();

  bool Yielding() const {
    return std::any_of(yield_clients_.begin(), yield_clients_.end(), [](const YieldClient& c) { return c.asked; });
  }
  bool MayStartJob() const { return !job_running_ && !stopping_ && !Yielding(); }
  void TryOpenVault();
  void MaybeStartJob();
  void StartJob(Job job);
  static void DoJob(storage::Vault& vault, const platform::Clock& clock, Job& job);
  void FinishJob();
  void AfterCapture(const Job& job);
  void AfterSync(const Job& job);

  int PollTimeoutMs() const;
  void HandleSignals();
  void HandleInotify();
  void AcceptClients();
  void HandleClient(size_t index, short revents);
  void AnswerYields();
  void Reload();

  void Raise(const std::string& id, const std::string& summary, const std::string& body);
  void Clear(const std::string& id_prefix);
  void SyncLossAlerts();
  void SetActivity(const std::string& activity);
  void SaveState();
  RemoteActivity* Activity(const std::string& remote);

  AgentRunOptions options_;
  const platform::Clock& clock_;
  std::mt19937_64 rng_;
  Config config_;
  AlertSender alerts_;
  AgentState state_;
  std::unique_ptr<storage::Vault> vault_;
  int64_t vault_retry_due_ = 0;
  std::string vault_problem_;

  std::optional<platform::TreeWatcher> watcher_;
  platform::UniqueFd control_;
  // A connection on the control socket; it asks the agent to make way by
  // sending "yield" (platform/control_socket.h).
  struct YieldClient {
    platform::UniqueFd fd;
    bool asked = false;
    bool answered = false;
  };
  std::vector<YieldClient> yield_clients_;
  int signal_read_ = -1;
  platform::UniqueFd job_done_;

  // What the next capture looks at: per source, all of it (nullopt) or the
  // files named by change notification.
  std::map<std::string, std::optional<std::set<std::string>>> pending_;
  int64_t capture_due_ = 0;  // steady ms; 0: nothing pending
  int64_t first_change_ = 0;
  int capture_failures_ = 0;
  int64_t rescan_due_ = 0;
  std::map<std::string, RemoteTimer> remotes_;
  // The file system each source's folder is on (nullopt: missing), as last
  // watched: a mount change matters to a source when this changes.
  std::map<std::string, std::optional<uint64_t>> root_devices_;
  int64_t watchdog_interval_ = 0;
  int64_t watchdog_due_ = 0;

  std::thread worker_;
  std::unique_ptr<Job> job_;
  bool job_running_ = false;
  bool stopping_ = false;
  bool reload_pending_ = false;
};

Status AgentLoop::InstallSignals() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoStatus("signal pipe", errno);
  signal_read_ = fds[0];
  g_signal_pipe = fds[1];
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaction(s, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return Status::Ok();
}

Status AgentLoop::Start() {
  Result<Config> config = LoadConfig(options_.config_path);
  if (!config) return config.error();
  config_ = std::move(*config);
  alerts_.set_settings(config_.agent);

  Result<platform::UniqueFd> control = platform::ListenControl(platform::ControlSocketName(options_.vault_path));
  if (!control) {
    if (control.error().code() == ErrorCode::kAlreadyExists) {
      return Status(ErrorCode::kVaultLocked,
                    options_.vault_path.string() + ": an agent (holdfast run) already runs for this vault");
    }
    return control.error();
  }
  control_ = std::move(*control);

  Result<std::unique_ptr<storage::Vault>> vault =
      storage::Vault::Open(options_.vault_path, storage::Vault::OpenMode::kExisting);
  if (vault) {
    vault_ = std::move(*vault);
  } else if (vault.error().code() == ErrorCode::kVaultLocked) {
    // A command holds it: the agent starts and takes it when it is free.
    options_.log("waiting for the vault: " + vault.error().message());
    vault_retry_due_ = Now() + kVaultRetryMs;
  } else {
    return vault.error();
  }

  Result<platform::TreeWatcher> watcher = platform::TreeWatcher::Create();
  if (!watcher) return watcher.error();
  watcher_.emplace(std::move(*watcher));
  HF_RETURN_IF_ERROR(InstallSignals());
  int done = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (done < 0) return ErrnoStatus("eventfd", errno);
  job_done_ = platform::UniqueFd(done);

  // Alerts shown before a restart are not shown again while they stay open.
  Result<std::optional<AgentState>> before = LoadAgentState(options_.vault_path);
  if (before && *before) state_.alerts = (*before)->alerts;
  state_.pid = static_cast<int>(getpid());
  state_.running = true;
  state_.started_ms = Wall();

  Rewatch();
  ResetRemotes();
  ScheduleCaptureOfAll();
  capture_due_ = Now();  // the first capture at once
  rescan_due_ = Now() + config_.agent.rescan_interval_s * 1000;
  watchdog_interval_ = platform::WatchdogPingIntervalMs();
  watchdog_due_ = watchdog_interval_ > 0 ? Now() + watchdog_interval_ : 0;
  SetActivity("starting");
  platform::NotifyReady("watching " + Plural(static_cast<int64_t>(config_.sources.size()), "source"));
  options_.log("started: " + Plural(static_cast<int64_t>(config_.sources.size()), "source") + ", " +
               Plural(static_cast<int64_t>(config_.remotes.size()), "remote") + ", " +
               Plural(static_cast<int64_t>(watcher_->watch_count()), "folder") + " watched");
  return Status::Ok();
}

void AgentLoop::Rewatch() {
  watcher_->Clear();
  state_.watch_problems.clear();
  root_devices_.clear();
  for (const SourceConfig& s : config_.sources) root_devices_[s.name] = RootDevice(s.path);
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    const SourceConfig& s = config_.sources[i];
    const int depth = s.kind == SourceKind::kPhotos ? kPhotoTreeDepth : s.kind == SourceKind::kEds ? kEdsDepth : kVdirDepth;
    std::vector<std::string> problems = watcher_->Watch(static_cast<int>(i), s.path, IsSingleFile(s), depth);
    for (std::string& p : problems) {
      options_.log(p);
      state_.watch_problems.push_back(std::move(p));
    }
  }
  state_.folders_watched = watcher_->watch_count();
}

void AgentLoop::ResetRemotes() {
  std::map<std::string, RemoteTimer> timers;
  std::vector<RemoteActivity> activity;
  for (const RemoteConfig& r : config_.remotes) {
    auto old = remotes_.find(r.name);
    // A new remote is checked at once; a known one keeps its schedule.
    timers[r.name] = old != remotes_.end() ? old->second : RemoteTimer{Now()};
    RemoteActivity* before = Activity(r.name);
    RemoteActivity fresh;
    fresh.name = r.name;
    activity.push_back(before != nullptr ? *before : fresh);
  }
  remotes_ = std::move(timers);
  state_.remotes = std::move(activity);
}

RemoteActivity* AgentLoop::Activity(const std::string& remote) {
  for (RemoteActivity& r : state_.remotes) {
    if (r.name == remote) return &r;
  }
  return nullptr;
}

void AgentLoop::ScheduleCaptureOf(const std::set<std::string>& sources) {
  if (sources.empty()) return;
  Debounce();
  for (const std::string& source : sources) pending_[source] = std::nullopt;
}

void AgentLoop::ScheduleCaptureOfFiles(const std::string& source, const std::set<std::string>& files) {
  // Past this many files one scan of the source costs less than looking at each.
  constexpr size_t kMostFilesLookedAt = 2000;
  Debounce();
  auto [it, added] = pending_.try_emplace(source, std::set<std::string>());
  if (!it->second) return;  // the whole source is pending already
  it->second->insert(files.begin(), files.end());
  if (it->second->size() > kMostFilesLookedAt) it->second = std::nullopt;
}

void AgentLoop::Debounce() {
  // After the changes go quiet, but no later than max_delay_ms after the
  // first one.
  const int64_t now = Now();
  if (pending_.empty()) first_change_ = now;
  capture_due_ = std::min(now + config_.agent.debounce_ms, first_change_ + config_.agent.max_delay_ms);
}

void AgentLoop::ScheduleCaptureOfAll() {
  std::set<std::string> all;
  for (const SourceConfig& s : config_.sources) all.insert(s.name);
  ScheduleCaptureOf(all);
}

void AgentLoop::TryOpenVault() {
  if (vault_ || Now() < vault_retry_due_) return;
  Result<std::unique_ptr<storage::Vault>> vault =
      storage::Vault::Open(options_.vault_path, storage::Vault::OpenMode::kExisting);
  if (vault) {
    vault_ = std::move(*vault);
    if (!vault_problem_.empty()) options_.log("the vault is open again");
    vault_problem_.clear();
    Clear("vault");
    return;
  }
  vault_retry_due_ = Now() + kVaultRetryMs;
  if (vault.error().message() != vault_problem_) {
    vault_problem_ = vault.error().message();
    options_.log("cannot open the vault: " + vault.error().ToString());
    if (vault.error().code() != ErrorCode::kVaultLocked) {
      Raise("vault", "Holdfast cannot open its vault",
            vault.error().ToString() + "\nNothing is captured until it opens again.");
    }
  }
}

void AgentLoop::MaybeStartJob() {
  if (!MayStartJob()) return;
  TryOpenVault();
  if (!vault_) return;
  const int64_t now = Now();
  if (rescan_due_ != 0 && now >= rescan_due_) {
    rescan_due_ = now + config_.agent.rescan_interval_s * 1000;
    ScheduleCaptureOfAll();
    capture_due_ = now;
  }
  if (capture_due_ != 0 && now >= capture_due_) {
    Job job;
    job.kind = Job::Kind::kCapture;
    job.sources = std::move(pending_);
    pending_.clear();
    capture_due_ = 0;
    SetActivity("capturing");
    StartJob(std::move(job));
    return;
  }
  for (auto& [name, timer] : remotes_) {
    if (now < timer.due_steady_ms) continue;
    Job job;
    job.kind = Job::Kind::kSync;
    job.remote = name;
    SetActivity("pushing to " + name);
    StartJob(std::move(job));
    return;
  }
}

void AgentLoop::StartJob(Job job) {
  job.config = config_;
  job_ = std::make_unique<Job>(std::move(job));
  job_running_ = true;
  storage::Vault* vault = vault_.get();
  Job* running = job_.get();
  const platform::Clock* clock = &clock_;
  const int done_fd = job_done_.get();
  worker_ = std::thread([vault, running, clock, done_fd] {
    DoJob(*vault, *clock, *running);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(done_fd, &one, sizeof one);
  });
}

void AgentLoop::DoJob(storage::Vault& vault, const platform::Clock& clock, Job& job) {
  if (job.kind == Job::Kind::kCapture) {
    for (const auto& [source, files] : job.sources) {
      if (job.config.FindSource(source) == nullptr) continue;  // removed by a reload
      if (files && files->empty()) continue;
      CaptureOptions options;
      options.only_source = source;
      if (files) options.only_paths.assign(files->begin(), files->end());
      options.now_ms = clock.NowMs();
      Result<CaptureReport> report = Capture(vault, job.config, options);
      if (!report) {
        job.error = report.error();
        return;
      }
      for (SourceCapture& s : report->sources) job.captured.push_back(std::move(s));
    }
    return;
  }
  const RemoteConfig* remote = job.config.FindRemote(job.remote);
  if (remote == nullptr) return;
  Result<std::unique_ptr<RemoteBackend>> backend = ConnectRemote(*remote, RunRemoteOptions());
  if (!backend) {
    job.error = backend.error();
    return;
  }
  SyncEngine engine(vault, **backend, clock);
  Result<SyncReport> report = engine.Push();
  if (!report) {
    job.error = report.error();
    job.retry_after_ms = (*backend)->RetryAfterMs();
    return;
  }
  job.synced = std::move(*report);
}

void AgentLoop::FinishJob() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = read(job_done_.get(), &count, sizeof count);
  if (!job_running_) return;
  worker_.join();
  job_running_ = false;
  std::unique_ptr<Job> job = std::move(job_);
  if (job->kind == Job::Kind::kCapture) {
    AfterCapture(*job);
  } else {
    AfterSync(*job);
  }
  if (!stopping_) platform::ClearStopRequest();
  if (reload_pending_ && !stopping_) Reload();
  AnswerYields();
  if (!Yielding()) SetActivity(stopping_ ? "stopping" : "idle");
  SaveState();
}

void AgentLoop::AfterCapture(const Job& job) {
  const int64_t now = Now();
  if (!job.error.ok()) {
    // Stopped (kCancelled): the same sources again once the agent goes on.
    // A vault failure (a full disk): again after a backoff, with an alert.
    for (const auto& [source, files] : job.sources) pending_[source] = std::nullopt;  // again, whole
    if (job.error.code() == ErrorCode::kCancelled) {
      first_change_ = now;
      capture_due_ = now;
      return;
    }
    ++capture_failures_;
    const int64_t wait = FailureBackoffMs(capture_failures_, config_.agent.retry_min_s * 1000,
                                          config_.agent.retry_max_s * 1000, std::nullopt, rng_);
    first_change_ = now;
    capture_due_ = now + wait;
    options_.log("capture failed: " + job.error.ToString() + "; again in " + std::to_string(wait / 1000) + " s");
    Raise("capture", "Holdfast could not capture the device's data",
          job.error.ToString() + "\nWhat was captured before is safe; it tries again by itself.");
    return;
  }
  capture_failures_ = 0;
  Clear("capture");
  int64_t changed = 0;
  std::string summary;
  for (const SourceCapture& s : job.captured) {
    if (!s.error.ok()) {
      Raise("source:" + s.source, "Source '" + s.source + "' cannot be read",
            s.error.message() +
                "\nNothing was deleted from the vault. It is captured again when it comes back (a card "
                "inserted again, a folder restored).");
      continue;
    }
    Clear("source:" + s.source);
    const int64_t n = s.items_new + s.items_changed + s.items_restored + s.items_moved + s.items_deleted;
    changed += n;
    if (n > 0 || !s.losses_suspected.empty()) {
      summary += (summary.empty() ? "" : "; ") + s.source + ": " + std::to_string(s.items_new) + " new, " +
                 std::to_string(s.items_changed) + " changed, " + std::to_string(s.items_deleted) + " deleted";
    }
  }
  state_.last_capture_ms = Wall();
  state_.last_capture = summary.empty() ? "no change" : summary;
  if (!summary.empty()) options_.log("captured " + summary);
  SyncLossAlerts();
  if (changed > 0) {
    // Push what changed to every remote that is not backing off.
    for (RemoteActivity& r : state_.remotes) {
      if (r.failures == 0) remotes_[r.name].due_steady_ms = std::min(remotes_[r.name].due_steady_ms, now);
    }
  }
}

void AgentLoop::AfterSync(const Job& job) {
  RemoteActivity* activity = Activity(job.remote);
  auto timer = remotes_.find(job.remote);
  if (activity == nullptr || timer == remotes_.end()) return;  // removed by a reload meanwhile
  const int64_t now = Now();
  activity->last_sync_ms = Wall();
  if (job.error.ok() && !job.synced) return;  // the remote went away from the config
  if (!job.error.ok()) {
    activity->last_ok = false;
    activity->last_result = job.error.ToString();
    if (job.error.code() == ErrorCode::kCancelled) {
      timer->second.due_steady_ms = now;  // goes on once the agent does
      return;
    }
    ++activity->failures;
    const int64_t wait = FailureBackoffMs(activity->failures, config_.agent.retry_min_s * 1000,
                                          config_.agent.retry_max_s * 1000, job.retry_after_ms, rng_);
    timer->second.due_steady_ms = now + wait;
    activity->next_sync_ms = Wall() + wait;
    options_.log(job.remote + ": " + job.error.ToString() + " (failure " + std::to_string(activity->failures) +
                 "; again in " + std::to_string(wait / 1000) + " s)");
    const ErrorCode code = job.error.code();
    if (code == ErrorCode::kNetwork || code == ErrorCode::kServerError) {
      // Being offline is normal; only a long absence is worth an alert.
      const int64_t since = activity->last_reached_ms > 0 ? activity->last_reached_ms : state_.started_ms;
      if (Wall() - since >= config_.agent.unreachable_alert_h * 3600 * 1000) {
        Raise("remote:" + job.remote + ":unreachable", "Server '" + job.remote + "' not reached for a long time",
              "Holdfast has not reached it since " + platform::FormatUtc(since) + ": " + job.error.message() +
                  "\nThe device's data is safe in the vault; it keeps trying.");
      }
    } else {
      Raise("remote:" + job.remote + ":refused", "Server '" + job.remote + "' refuses Holdfast",
            job.error.ToString() + "\nThe device's data is safe in the vault; check the remote's settings.");
    }
    return;
  }
  const SyncReport& report = *job.synced;
  activity->failures = 0;
  activity->last_ok = true;
  activity->last_reached_ms = Wall();
  Clear("remote:" + job.remote + ":");
  ReachedRun reached;
  if (report.recovery.started) {
    const RecoverReport& r = report.recovery;
    activity->last_result = std::string("recovery (") + r.reason + "): " + (r.verified ? "VERIFIED" : "NOT VERIFIED");
    options_.log(job.remote + ": " + activity->last_result);
    if (!r.verified) {
      Raise("remote:" + job.remote + ":recovery", "Recovery of server '" + job.remote + "' not verified yet",
            "The server lost data; Holdfast sent it again but the read-back still differs in " +
                std::to_string(r.items_differing_at_end) + " items. It goes on by itself.");
      reached.recovery_unverified = true;
    }
  } else if (report.push) {
    const PushReport& p = *report.push;
    activity->last_result = "pushed: " + std::to_string(p.items_stored) + " stored, " +
                            std::to_string(p.deletes) + " deleted, " + std::to_string(p.blobs_uploaded) + " blobs";
    if (!p.refused.empty()) activity->last_result += ", " + std::to_string(p.refused.size()) + " refused";
    if (p.items_stored + p.deletes + p.blobs_uploaded > 0 || !p.refused.empty()) {
      options_.log(job.remote + ": " + activity->last_result);
    }
  }
  if (report.recovery.waiting_until_ms > 0) {
    // An operator's re-upload request: come back at this device's slot.
    reached.slot_wall_ms = report.recovery.waiting_until_ms;
    activity->last_result += "; re-upload requested, this device's slot is at " +
                             platform::FormatUtc(report.recovery.waiting_until_ms);
  }
  const int64_t next = NextRunDelayMs(config_.agent.check_interval_s * 1000, config_.agent.retry_min_s * 1000,
                                      reached, Wall(), rng_);
  timer->second.due_steady_ms = now + next;
  activity->next_sync_ms = Wall() + next;
}

void AgentLoop::SyncLossAlerts() {
  Result<std::vector<storage::LossAlert>> losses = vault_->capture_state().ListLossAlerts();
  Result<std::vector<storage::CollectionInfo>> collections = vault_->ListCollections();
  if (!losses || !collections) return;
  std::set<std::string> open;
  for (const storage::LossAlert& loss : *losses) {
    std::string name = std::to_string(loss.collection_id), source;
    for (const storage::CollectionInfo& c : *collections) {
      if (c.id == loss.collection_id) {
        name = c.name;
        source = c.source;
      }
    }
    const std::string id = "loss:" + std::to_string(loss.collection_id);
    open.insert(id);
    Raise(id, "Data gone from the device: '" + name + "'",
          std::to_string(loss.items_missing) + " of " + std::to_string(loss.items_before) + " items of '" + name +
              "' are gone from the device. Holdfast recorded no deletion and keeps them in the vault. If you "
              "deleted them, run: holdfast capture --accept-deletions " + source +
              "; otherwise put them back with: holdfast restore-device");
  }
  std::vector<AgentAlert> kept;
  for (AgentAlert& a : state_.alerts) {
    if (a.id.rfind("loss:", 0) != 0 || open.count(a.id) != 0) kept.push_back(std::move(a));
  }
  state_.alerts = std::move(kept);
}

void AgentLoop::Raise(const std::string& id, const std::string& summary, const std::string& body) {
  for (const AgentAlert& a : state_.alerts) {
    if (a.id == id) return;  // shown already; stays open
  }
  AgentAlert alert{id, Wall(), summary, body, ""};
  std::string problems;
  alert.shown_by = alerts_.Send(alert, &problems);
  options_.log("ALERT " + summary + ": " + body + " (shown by " + alert.shown_by + ")");
  if (!problems.empty()) options_.log("alert delivery: " + problems.substr(0, problems.size() - 1));
  state_.alerts.push_back(std::move(alert));
  SaveState();
}

void AgentLoop::Clear(const std::string& id_prefix) {
  std::erase_if(state_.alerts, [&](const AgentAlert& a) { return a.id.rfind(id_prefix, 0) == 0; });
}

void AgentLoop::SetActivity(const std::string& activity) {
  if (state_.activity == activity) return;
  state_.activity = activity;
  platform::NotifyStatus(activity);
  // `holdfast status` shows what the agent does now (a long push included),
  // not what it did when the last piece of work ended.
  SaveState();
}

void AgentLoop::SaveState() {
  state_.updated_ms = Wall();
  state_.next_rescan_ms = rescan_due_ > 0 ? Wall() + (rescan_due_ - Now()) : 0;
  Status saved = SaveAgentState(options_.vault_path, state_);
  if (!saved.ok()) options_.log("cannot save the agent's state: " + saved.ToString());
}

int AgentLoop::PollTimeoutMs() const {
  const int64_t now = Now();
  int64_t next = INT64_MAX;
  if (watchdog_due_ > 0) next = std::min(next, watchdog_due_);
  if (MayStartJob()) {
    if (!vault_) {
      next = std::min(next, vault_retry_due_);
    } else {
      if (capture_due_ > 0) next = std::min(next, capture_due_);
      if (rescan_due_ > 0) next = std::min(next, rescan_due_);
      for (const auto& [name, timer] : remotes_) next = std::min(next, timer.due_steady_ms);
    }
  }
  if (next == INT64_MAX) return -1;
  return static_cast<int>(std::clamp<int64_t>(next - now, 0, INT32_MAX));
}

void AgentLoop::HandleSignals() {
  unsigned char signals[32];
  ssize_t n;
  while ((n = read(signal_read_, signals, sizeof signals)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (signals[i] == SIGHUP) {
        reload_pending_ = true;
      } else if (!stopping_) {
        stopping_ = true;
        platform::RequestStop();
        platform::NotifyStopping();
        options_.log(std::string("stopping (") + (signals[i] == SIGINT ? "SIGINT" : "SIGTERM") + ")");
        SetActivity("stopping");
      }
    }
  }
  if (reload_pending_ && !job_running_ && !stopping_) Reload();
}

void AgentLoop::Reload() {
  reload_pending_ = false;
  platform::NotifyReloading();
  Result<Config> config = LoadConfig(options_.config_path);
  if (!config) {
    state_.config_problem = config.error().message();
    options_.log("config not reloaded, the old one is kept: " + config.error().ToString());
    Raise("config", "Holdfast's new config has an error",
          config.error().message() + "\nThe agent goes on with the config it had; fix the file and reload again.");
  } else {
    config_ = std::move(*config);
    alerts_.set_settings(config_.agent);
    state_.config_problem.clear();
    Clear("config");
    Rewatch();
    ResetRemotes();
    ScheduleCaptureOfAll();
    rescan_due_ = std::min(rescan_due_, Now() + config_.agent.rescan_interval_s * 1000);
    options_.log("config reloaded: " + Plural(static_cast<int64_t>(config_.sources.size()), "source") + ", " +
                 Plural(static_cast<int64_t>(config_.remotes.size()), "remote"));
  }
  platform::NotifyReady(state_.activity);
  SaveState();
}

void AgentLoop::HandleInotify() {
  platform::TreeWatcher::Events events = watcher_->Read();
  for (std::string& p : events.problems) {
    options_.log(p);
    state_.watch_problems.push_back(std::move(p));
  }
  state_.folders_watched = watcher_->watch_count();
  if (events.overflow) {
    options_.log("change notification overflowed: rescanning every source");
    ScheduleCaptureOfAll();
    return;
  }
  auto known = [&](int tag) { return tag >= 0 && static_cast<size_t>(tag) < config_.sources.size(); };
  std::set<std::string> whole;
  for (int tag : events.full) {
    if (known(tag)) whole.insert(config_.sources[tag].name);
  }
  ScheduleCaptureOf(whole);
  for (const auto& [tag, files] : events.files) {
    if (known(tag) && events.full.count(tag) == 0) ScheduleCaptureOfFiles(config_.sources[tag].name, files);
  }
}

void AgentLoop::AcceptClients() {
  for (;;) {
    Result<platform::UniqueFd> client = platform::AcceptControl(control_.get());
    if (!client) {
      if (client.error().code() != ErrorCode::kNotFound) options_.log(client.error().message());
      if (client.error().code() == ErrorCode::kPermission) continue;
      return;
    }
    yield_clients_.push_back(YieldClient{std::move(*client), false, false});
  }
}

void AgentLoop::AnswerYields() {
  if (!Yielding() || job_running_) return;
  if (vault_) {
    vault_.reset();  // the command may open it now
    options_.log("making way for a command");
  }
  SetActivity("making way for a command");
  for (YieldClient& c : yield_clients_) {
    if (!c.asked || c.answered) continue;
    static const char kOk[] = "ok\n";
    [[maybe_unused]] ssize_t n = send(c.fd.get(), kOk, sizeof kOk - 1, MSG_NOSIGNAL);
    c.answered = true;
  }
}

void AgentLoop::HandleClient(size_t index, short revents) {
  YieldClient& c = yield_clients_[index];
  bool closed = (revents & (POLLHUP | POLLERR)) != 0;
  if (revents & POLLIN) {
    char buffer[64];
    ssize_t n = recv(c.fd.get(), buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) closed = true;
    if (n > 0 && std::string_view(buffer, static_cast<size_t>(n)).find("yield") != std::string_view::npos &&
        !c.asked) {
      c.asked = true;
      if (job_running_) {
        platform::RequestStop();  // the work stops at its next safe point; FinishJob answers
        SetActivity("stopping the work to make way for a command");
      }
    }
  }
  if (closed) c.fd = platform::UniqueFd();
}

void AgentLoop::Run() {
  while (true) {
    if (stopping_ && !job_running_) break;
    MaybeStartJob();
    std::vector<struct pollfd> fds;
    fds.push_back({signal_read_, POLLIN, 0});
    fds.push_back({job_done_.get(), POLLIN, 0});
    fds.push_back({watcher_->fd(), POLLIN, 0});
    fds.push_back({control_.get(), POLLIN, 0});
    fds.push_back({watcher_->mounts_fd(), POLLPRI, 0});
    const size_t first_client = fds.size();
    for (const YieldClient& c : yield_clients_) fds.push_back({c.fd.get(), POLLIN, 0});
    const int ready = poll(fds.data(), fds.size(), PollTimeoutMs());
    if (ready < 0 && errno != EINTR) {
      options_.log(std::string("poll: ") + std::strerror(errno));
      break;
    }
    AlertSender::ReapCommands();
    if (fds[0].revents) HandleSignals();
    if (fds[1].revents) FinishJob();
    if (fds[2].revents) HandleInotify();
    if (fds[4].revents & (POLLPRI | POLLERR)) {
      watcher_->MountsChanged();
      // Only the sources whose folder came, went or moved to another file
      // system need a new look (other mounts come and go on a busy system).
      std::set<std::string> moved;
      for (const SourceConfig& source : config_.sources) {
        if (RootDevice(source.path) != root_devices_[source.name]) moved.insert(source.name);
      }
      if (!moved.empty()) {
        options_.log("mounts changed under " + Plural(static_cast<int64_t>(moved.size()), "source") +
                     ": watching them again");
        Rewatch();
        ScheduleCaptureOf(moved);
      }
    }
    for (size_t i = first_client; i < fds.size(); ++i) {
      if (fds[i].revents) HandleClient(i - first_client, fds[i].revents);
    }
    const bool was_yielding = Yielding();
    std::erase_if(yield_clients_, [](const YieldClient& c) { return c.fd.get() < 0; });
    if (fds[3].revents) AcceptClients();
    AnswerYields();
    if (was_yielding && !Yielding()) {
      // The command is done: take the vault back (MaybeStartJob opens it)
      // and look at the sources, which a restore may have written.
      vault_retry_due_ = 0;
      options_.log("the command is done: going on");
      SetActivity("idle");
    }
    if (watchdog_due_ > 0 && Now() >= watchdog_due_) {
      platform::NotifyWatchdog();
      watchdog_due_ = Now() + watchdog_interval_;
    }
  }
  state_.running = false;
  SetActivity("stopped");
  SaveState();
  options_.log("stopped");
}

}  // namespace

Status RunAgent(const AgentRunOptions& options) {
  AgentLoop loop(options);
  HF_RETURN_IF_ERROR(loop.Start());
  loop.Run();
  return Status::Ok();
}

}  // namespace holdfast::agent
