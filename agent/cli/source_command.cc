// `holdfast source add|list`: the device's PIM sources in the config file.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {

int RunSourceAdd(const GlobalOptions& options, const std::string& kind_name,
                 const std::string& path, std::string name) {
  std::optional<agent::SourceKind> kind = agent::ParseSourceKind(kind_name);
  if (!kind) {
    return ReportError(Status(ErrorCode::kInvalidArgument,
                              "--kind " + kind_name + ": use contacts, calendar, tasks, notes or photos"));
  }
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return ReportError(config_path.error());
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return ReportError(config.error());
  if (name.empty()) name = std::filesystem::path(path).filename().string();
  agent::SourceConfig source;
  source.name = name;
  source.kind = *kind;
  source.path = path;
  Status added = agent::AddSource(&*config, source);
  if (!added.ok()) return ReportError(added.WithContext(config_path->string()));
  Status saved = agent::SaveConfig(*config_path, *config);
  if (!saved.ok()) return ReportError(saved);
  const agent::SourceConfig& stored = config->sources.back();
  std::cout << "Added " << agent::SourceKindName(stored.kind) << " source '" << platform::TerminalSafe(stored.name)
            << "' at " << platform::TerminalSafe(stored.path) << "\n";
  std::error_code ec;
  if (!std::filesystem::exists(stored.path, ec)) {
    std::cerr << "warning: " << platform::TerminalSafe(stored.path) << " does not exist yet; capture will report it\n";
  }
  return agent::kExitOk;
}

int RunSourceList(const GlobalOptions& options) {
  Result<std::filesystem::path> config_path = ConfigPath(options);
  if (!config_path) return ReportError(config_path.error());
  Result<agent::Config> config = agent::LoadConfig(*config_path);
  if (!config) return ReportError(config.error());
  if (config->sources.empty()) std::cout << "No sources in " << platform::TerminalSafe(config_path->string()) << "\n";
  for (const agent::SourceConfig& s : config->sources) {
    std::cout << platform::TerminalSafe(s.name) << "\t" << agent::SourceKindName(s.kind) << "\t" << platform::TerminalSafe(s.path) << "\n";
  }
  return agent::kExitOk;
}

}  // namespace holdfast::cli
