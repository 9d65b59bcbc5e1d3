// holdfast: the device-side recovery agent's command line. Parses arguments,
// initialises libraries once, and hands over to one subcommand.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "holdfast/version.h"
#include "platform/http_client.h"
#include "platform/clock.h"

int main(int argc, char** argv) {
  // Buffers of 256 KiB and more (photos read ahead, blob chunks) come from
  // mmap and go back to the OS when freed. Left to glibc's sliding threshold
  // they would be carved from the heap after the first free and stay in the
  // resident set (measured: 60 MiB instead of 44 MiB for the large capture).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  CLI::App app{"Holdfast keeps the handset's contacts, calendars, tasks, notes and photos in a "
               "durable local vault, and puts them back when a server or the device loses them."};
  app.set_version_flag("--version", std::string("holdfast ") + holdfast::kVersion);
  app.require_subcommand(1);
  holdfast::cli::Invocation invocation;
  invocation.options.clock = &holdfast::platform::SystemClock();
  app.add_option("--vault", invocation.options.vault_path, "vault file (default: $XDG_DATA_HOME/holdfast/vault.db)");

  app.add_option("--config", invocation.options.config_path,
                 "config file (default: $XDG_CONFIG_HOME/holdfast/config.json)");

  // Each subcommand owns its flags (agent/cli/*_command.cc); --help lists them in this order.
  holdfast::cli::RegisterInitCommand(app, invocation);
  holdfast::cli::RegisterStatusCommand(app, invocation);
  holdfast::cli::RegisterVerifyCommand(app, invocation);
  holdfast::cli::RegisterSourceCommand(app, invocation);
  holdfast::cli::RegisterCaptureCommand(app, invocation);
  holdfast::cli::RegisterExportCommand(app, invocation);
  holdfast::cli::RegisterImportCommand(app, invocation);
  holdfast::cli::RegisterRestoreCommand(app, invocation);
  holdfast::cli::RegisterRemoteCommand(app, invocation);
  holdfast::cli::RegisterPushCommand(app, invocation);
  holdfast::cli::RegisterRecoverCommands(app, invocation);
  holdfast::cli::RegisterRunCommand(app, invocation);

  // CLI11 would only say "a subcommand is required" for a mistyped command:
  // name the word it did not know.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--vault" || arg == "--config") {
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    if (app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == arg; }).empty()) {
      std::cerr << "holdfast: unknown command '" << arg << "'\nRun with --help for the commands.\n";
      return holdfast::agent::kExitUsage;
    }
    break;
  }

  // libcurl's global set-up, once, before anything else could use it.
  holdfast::Status http = holdfast::platform::InitHttpLibrary();
  if (!http.ok()) return holdfast::cli::ReportError(http);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? holdfast::agent::kExitOk : holdfast::agent::kExitUsage;
  }

  if (!invocation.run) return holdfast::agent::kExitUsage;
  return invocation.run(invocation.options);
}
