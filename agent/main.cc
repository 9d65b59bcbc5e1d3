// holdfast: the device-side recovery agent's command line. Parses arguments,
// initialises libraries once, and hands over to one subcommand.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "holdfast/version.h"

int main(int argc, char** argv) {
  using holdfast::cli::GlobalOptions;
  CLI::App app{"Holdfast keeps the handset's contacts, calendars, tasks, notes and photos in a "
               "durable local vault, and puts them back when a server or the device loses them."};
  app.set_version_flag("--version", std::string("holdfast ") + holdfast::kVersion);
  app.require_subcommand(1);
  GlobalOptions options;
  app.add_option("--vault", options.vault_path,
                 "vault file (default: $XDG_DATA_HOME/holdfast/vault.db)");

  CLI::App* init = app.add_subcommand("init", "create the vault");
  CLI::App* status = app.add_subcommand("status", "show what the vault holds");
  bool status_json = false;
  status->add_flag("--json", status_json, "machine-readable output");
  CLI::App* verify =
      app.add_subcommand("verify", "check the vault's integrity and every stored SHA-256");
  bool verify_json = false;
  verify->add_flag("--json", verify_json, "machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? holdfast::agent::kExitOk : holdfast::agent::kExitUsage;
  }

  if (init->parsed()) return holdfast::cli::RunInit(options);
  if (status->parsed()) return holdfast::cli::RunStatus(options, status_json);
  if (verify->parsed()) return holdfast::cli::RunVerify(options, verify_json);
  return holdfast::agent::kExitUsage;
}
