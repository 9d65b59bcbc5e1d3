// `holdfast source add|list`: the device's PIM sources in the config file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunSourceAdd(const GlobalOptions& options, const std::string& kind_name,
                 const std::string& path, std::string name) {
  std::optional<agent::SourceKind> kind = agent::ParseSourceKind(kind_name);
  if (!kind) {
    return ReportError(Status(ErrorCode::kInvalidArgument,
                              "--kind " + kind_name + ": use contacts, calendar, tasks, notes or photos"));
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

struct SourceAddArgs {
  std::string kind;
  std::string path;
  std::string name;
};

}  // namespace

void RegisterSourceCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* source = app.add_subcommand("source", "manage the device's PIM sources");
  source->require_subcommand(1);
  CLI::App* add = source->add_subcommand("add", "add a vdir folder, .vcf/.ics file or photo folder");
  auto args = std::make_shared<SourceAddArgs>();
  add->add_option("--kind", args->kind, "contacts, calendar, tasks, notes or photos")->required();
  add->add_option("PATH", args->path, "folder or file on the device")->required();
  add->add_option("--name", args->name, "name of the source (default: the folder's name)");
  SetRun(add, invocation,
         [args](const GlobalOptions& options) { return RunSourceAdd(options, args->kind, args->path, args->name); });
  SetRun(source->add_subcommand("list", "list the configured sources"), invocation, RunSourceList);
}

}  // namespace holdfast::cli
