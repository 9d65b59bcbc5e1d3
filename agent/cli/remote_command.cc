// `holdfast remote add|list|map`: the servers the vault is pushed to, in the config file.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunRemoteAdd(const GlobalOptions& options, const agent::RemoteConfig& remote) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  const std::filesystem::path& config_path = loaded->config_path;
  agent::Config& config = loaded->config;
  Status added = agent::AddRemote(&config, remote);
  if (!added.ok()) return ReportError(added.WithContext(config_path.string()));
  // The token (or password) file is checked now, so that a file others can
  // read is refused before the first push.
  const agent::RemoteConfig& added_remote = config.remotes.back();
  if (added_remote.type == agent::RemoteType::kHoldfast || !added_remote.token_file.empty()) {
    Result<std::string> token = agent::ReadToken(added_remote);
    if (!token) return ReportError(token.error());
  } else if (!added_remote.password_file.empty()) {
    Result<std::string> password = agent::ReadPassword(added_remote);
    if (!password) return ReportError(password.error());
  }
  Status saved = agent::SaveConfig(config_path, config);
  if (!saved.ok()) return ReportError(saved);
  const agent::RemoteConfig& stored = config.remotes.back();
  if (stored.type == agent::RemoteType::kDav) {
    std::cout << "Added DAV remote '" << platform::TerminalSafe(stored.name) << "' at "
              << platform::TerminalSafe(stored.url)
              << (!stored.token_file.empty() ? std::string(" (bearer token)")
                  : stored.user.empty()      ? std::string(" (no authentication)")
                                             : " (user " + platform::TerminalSafe(stored.user) + ")")
              << "\n";
  } else {
    std::cout << "Added remote '" << platform::TerminalSafe(stored.name) << "' at " << platform::TerminalSafe(stored.url) << " (account " << platform::TerminalSafe(stored.account) << ")\n";
  }
  if (stored.insecure_plain_http) {
    std::cerr << "warning: plain http: the token and your data travel unencrypted to " << stored.url << "\n";
  }
  return agent::kExitOk;
}

int RunRemoteMap(const GlobalOptions& options, const std::string& remote_name, const agent::CollectionMapping& map) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  Status mapped = agent::MapCollection(&loaded->config, remote_name, map);
  if (!mapped.ok()) return ReportError(mapped.WithContext(loaded->config_path.string()));
  Status saved = agent::SaveConfig(loaded->config_path, loaded->config);
  if (!saved.ok()) return ReportError(saved);
  std::cout << "Remote '" << platform::TerminalSafe(remote_name) << "': collection '"
            << platform::TerminalSafe(map.collection) << "' of source '" << platform::TerminalSafe(map.source)
            << "' goes to " << platform::TerminalSafe(map.url) << "\n";
  return agent::kExitOk;
}

int RunRemoteList(const GlobalOptions& options) {
  Result<Loaded> loaded = LoadConfigOnly(options);
  if (!loaded) return ReportError(loaded.error());
  const agent::Config& config = loaded->config;
  if (config.remotes.empty())
    std::cout << "No remotes in " << platform::TerminalSafe(loaded->config_path.string()) << "\n";
  for (const agent::RemoteConfig& r : config.remotes) {
    if (r.type == agent::RemoteType::kDav) {
      std::cout << platform::TerminalSafe(r.name) << "\t" << platform::TerminalSafe(r.url) << "\tdav "
                << (r.token_file.empty() ? "user " + platform::TerminalSafe(r.user) : std::string("bearer token"))
                << "\n";
      for (const agent::CollectionMapping& m : r.collections) {
        std::cout << "\t" << platform::TerminalSafe(m.source) << "/" << platform::TerminalSafe(m.collection) << " -> "
                  << platform::TerminalSafe(m.url) << "\n";
      }
    } else {
      std::cout << platform::TerminalSafe(r.name) << "\t" << platform::TerminalSafe(r.url) << "\taccount " << platform::TerminalSafe(r.account) << "\n";
    }
  }
  return agent::kExitOk;
}

}  // namespace

void RegisterRemoteCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* remote_cmd = app.add_subcommand("remote", "manage the servers the vault is pushed to");
  remote_cmd->require_subcommand(1);
  CLI::App* add = remote_cmd->add_subcommand("add", "add a server (docs/protocol.md)");
  auto remote = std::make_shared<agent::RemoteConfig>();
  add->add_option("NAME", remote->name, "name of the remote")->required();
  add->add_option("--type", remote->type, "what the server speaks: holdfast (default) or dav (docs/dav.md)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, agent::RemoteType>{{"holdfast", agent::RemoteType::kHoldfast},
                                                   {"dav", agent::RemoteType::kDav}},
          CLI::ignore_case));
  add->add_option("--url", remote->url, "base URL, https://... (dav: where discovery starts)")->required();
  add->add_option("--account", remote->account, "this device's account on the server (holdfast)");
  add->add_option("--token-file", remote->token_file, "file holding the bearer token (mode 0600; holdfast, or dav with Bearer)");
  add->add_option("--user", remote->user, "HTTP Basic user (dav)");
  add->add_option("--password-file", remote->password_file, "file holding the password (mode 0600; dav)");
  add->add_option("--photos-url", remote->photos_url, "WebDAV folder URL that photos go to (dav)");
  add->add_option("--ca-file", remote->ca_file, "PEM certificates to verify the server with");
  add->add_option("--pin-sha256", remote->pin_sha256,
                  "base64 SHA-256 of the server's public key: refuse any other key");
  add->add_flag("--insecure-plain-http", remote->insecure_plain_http,
                "allow plain http to a host other than this one: token and data unencrypted");
  SetRun(add, invocation, [remote](const GlobalOptions& options) { return RunRemoteAdd(options, *remote); });
  SetRun(remote_cmd->add_subcommand("list", "list the configured remotes"), invocation, RunRemoteList);

  CLI::App* map = remote_cmd->add_subcommand(
      "map", "store a collection at a URL of a DAV remote instead of a collection Holdfast makes (docs/dav.md)");
  auto map_remote = std::make_shared<std::string>();
  auto mapping = std::make_shared<agent::CollectionMapping>();
  map->add_option("NAME", *map_remote, "name of the DAV remote")->required();
  map->add_option("--source", mapping->source, "the source the collection comes from")->required();
  map->add_option("--collection", mapping->collection, "the collection's name (holdfast status lists them)")
      ->required();
  map->add_option("--url", mapping->url, "the collection's URL on the server (an address book or a calendar)")
      ->required();
  SetRun(map, invocation, [map_remote, mapping](const GlobalOptions& options) {
    return RunRemoteMap(options, *map_remote, *mapping);
  });
}

}  // namespace holdfast::cli
