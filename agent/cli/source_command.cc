// `holdfast source add|list`: the device's PIM sources in the config file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/eds/eds_store.h"
#include "platform/paths.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

struct SourceAddArgs {
  std::string kind;
  std::string path;
  std::string name;
  // EDS collections by UID (--kind eds only).
  std::vector<std::string> books, calendars, task_lists, memo_lists;
};

int RunSourceAdd(const GlobalOptions& options, const SourceAddArgs& args) {
  std::optional<agent::SourceKind> kind = agent::ParseSourceKind(args.kind);
  if (!kind) {
    return ReportError(Status(ErrorCode::kInvalidArgument,
                              "--kind " + args.kind + ": use contacts, calendar, tasks, notes, photos or eds"));
  }
  std::string path = args.path;
  std::string name = args.name;
  std::vector<agent::EdsPick> picks;
  for (const std::string& uid : args.books) picks.push_back({agent::SourceKind::kContacts, uid});
  for (const std::string& uid : args.calendars) picks.push_back({agent::SourceKind::kCalendar, uid});
  for (const std::string& uid : args.task_lists) picks.push_back({agent::SourceKind::kTasks, uid});
  for (const std::string& uid : args.memo_lists) picks.push_back({agent::SourceKind::kNotes, uid});
  if (*kind == agent::SourceKind::kEds) {
    if (!platform::eds::EdsSupportBuiltIn()) {
      // Says what to install and rebuild with.
      Result<std::unique_ptr<platform::eds::EdsStore>> unavailable = platform::eds::EdsStore::Connect("");
      return ReportError(unavailable.error());
    }
    // EDS keeps its data beside ours: $XDG_DATA_HOME/evolution.
    if (path.empty()) {
      Result<std::filesystem::path> data = platform::DefaultDataDir();
      if (!data) return ReportError(data.error().WithContext("EDS's data folder (give it as PATH)"));
      path = (data->parent_path() / "evolution").string();
    }
    if (name.empty()) name = "eds";
  } else if (!picks.empty()) {
    return ReportError(Status(ErrorCode::kInvalidArgument, "--book, --calendar, --tasks and --memos go with --kind eds"));
  } else if (path.empty()) {
    return ReportError(Status(ErrorCode::kInvalidArgument, "PATH is required (the folder or file on the device)"));
  }
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  const std::filesystem::path& config_path = loaded->config_path;
  agent::Config& config = loaded->config;
  if (name.empty()) name = std::filesystem::path(path).filename().string();
  agent::SourceConfig source;
  source.name = name;
  source.kind = *kind;
  source.path = path;
  source.eds_collections = std::move(picks);
  Status added = agent::AddSource(&config, source);
  if (!added.ok()) return ReportError(added.WithContext(config_path.string()));
  Status saved = agent::SaveConfig(config_path, config);
  if (!saved.ok()) return ReportError(saved);
  const agent::SourceConfig& stored = config.sources.back();
  std::cout << "Added " << agent::SourceKindName(stored.kind) << " source '" << platform::TerminalSafe(stored.name)
            << "' at " << platform::TerminalSafe(stored.path) << "\n";
  std::error_code ec;
  if (!std::filesystem::exists(stored.path, ec)) {
    std::cerr << "warning: " << platform::TerminalSafe(stored.path) << " does not exist yet; capture will report it\n";
  }
  return agent::kExitOk;
}

int RunSourceList(const GlobalOptions& options) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  const agent::Config& config = loaded->config;
  if (config.sources.empty())
    std::cout << "No sources in " << platform::TerminalSafe(loaded->config_path.string()) << "\n";
  for (const agent::SourceConfig& s : config.sources) {
    std::cout << platform::TerminalSafe(s.name) << "\t" << agent::SourceKindName(s.kind) << "\t" << platform::TerminalSafe(s.path) << "\n";
  }
  return agent::kExitOk;
}

}  // namespace

void RegisterSourceCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* source = app.add_subcommand("source", "manage the device's PIM sources");
  source->require_subcommand(1);
  CLI::App* add = source->add_subcommand(
      "add", "add a vdir folder, .vcf/.ics file or photo folder, or Evolution Data Server (--kind eds)");
  auto args = std::make_shared<SourceAddArgs>();
  add->add_option("--kind", args->kind, "contacts, calendar, tasks, notes, photos or eds")->required();
  add->add_option("PATH", args->path,
                  "folder or file on the device (eds: EDS's data folder, default $XDG_DATA_HOME/evolution)");
  add->add_option("--name", args->name, "name of the source (default: the folder's name; eds: \"eds\")");
  add->add_option("--book", args->books, "eds: capture this address book (UID; repeatable)");
  add->add_option("--calendar", args->calendars, "eds: capture this calendar (UID; repeatable)");
  add->add_option("--tasks", args->task_lists, "eds: capture this task list (UID; repeatable)");
  add->add_option("--memos", args->memo_lists,
                  "eds: capture this memo list (UID; repeatable). Without any of these four: every local one");
  SetRun(add, invocation, [args](const GlobalOptions& options) { return RunSourceAdd(options, *args); });
  SetRun(source->add_subcommand("list", "list the configured sources"), invocation, RunSourceList);
}

}  // namespace holdfast::cli
