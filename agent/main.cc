// holdfast: the device-side recovery agent's command line. Parses arguments,
// initialises libraries once, and hands over to one subcommand.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "holdfast/version.h"
#include "platform/clock.h"
#include "platform/http_client.h"

int main(int argc, char** argv) {
  // Buffers of 256 KiB and more (photos read ahead, blob chunks) come from
  // mmap and go back to the OS when freed. Left to glibc's sliding threshold
  // they would be carved from the heap after the first free and stay in the
  // resident set (measured: 60 MiB instead of 44 MiB for the large capture).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  using holdfast::cli::GlobalOptions;
  CLI::App app{"Holdfast keeps the handset's contacts, calendars, tasks, notes and photos in a "
               "durable local vault, and puts them back when a server or the device loses them."};
  app.set_version_flag("--version", std::string("holdfast ") + holdfast::kVersion);
  app.require_subcommand(1);
  GlobalOptions options;
  options.clock = &holdfast::platform::SystemClock();
  app.add_option("--vault", options.vault_path,
                 "vault file (default: $XDG_DATA_HOME/holdfast/vault.db)");

  app.add_option("--config", options.config_path,
                 "config file (default: $XDG_CONFIG_HOME/holdfast/config.json)");

  CLI::App* init = app.add_subcommand("init", "create the vault");
  CLI::App* status = app.add_subcommand("status", "show what the vault holds");
  bool status_json = false;
  status->add_flag("--json", status_json, "machine-readable output");
  CLI::App* verify =
      app.add_subcommand("verify", "check the vault's integrity and every stored SHA-256");
  bool verify_json = false;
  verify->add_flag("--json", verify_json, "machine-readable output");

  CLI::App* source = app.add_subcommand("source", "manage the device's PIM sources");
  source->require_subcommand(1);
  CLI::App* source_add = source->add_subcommand("add", "add a vdir folder, .vcf/.ics file or photo folder");
  std::string source_kind;
  std::string source_path;
  std::string source_name;
  source_add->add_option("--kind", source_kind, "contacts, calendar, tasks, notes or photos")->required();
  source_add->add_option("PATH", source_path, "folder or file on the device")->required();
  source_add->add_option("--name", source_name, "name of the source (default: the folder's name)");
  CLI::App* source_list = source->add_subcommand("list", "list the configured sources");

  CLI::App* capture = app.add_subcommand("capture", "copy the sources into the vault");
  std::string capture_source;
  bool accept_deletions = false;
  capture->add_option("--source", capture_source, "capture only this source");
  capture->add_option("--accept-deletions", capture_source,
                      "record the deletions the loss guard refused, for this source");
  capture->callback([&]() { accept_deletions = capture->count("--accept-deletions") > 0; });

  CLI::App* export_cmd = app.add_subcommand("export", "write the vault's data out in an open format");
  holdfast::cli::ExportArgs export_args;
  export_cmd->add_option("--format", export_args.format, "vdir, vcf, ics, json or archive")->required();
  export_cmd->add_option("--to", export_args.to, "folder (vdir, vcf, ics) or file (json, archive)")->required();
  export_cmd->add_option("--collection", export_args.snapshot.collection, "only this collection");
  export_cmd->add_option("--kind", export_args.snapshot.kind, "only contact, event, task, note or photo");
  export_cmd->add_option("--as-of", export_args.snapshot.as_of,
                         "the vault as it was then: 2026-11-25, 2026-11-25T09:56Z, @UNIX_SECONDS");
  export_cmd->add_flag("--force", export_args.force, "replace an existing target");
  export_cmd->add_flag("--zstd", export_args.zstd, "compress the archive with zstd");
  export_cmd->add_flag("--encrypt", export_args.encrypt, "encrypt the archive with a passphrase (docs/formats.md)");
  export_cmd->add_option("--passphrase-file", export_args.passphrase_file, "file holding the passphrase for --encrypt");

  CLI::App* import_cmd = app.add_subcommand("import", "bring an export archive back into the vault");
  std::string import_archive, import_passphrase_file;
  import_cmd->add_option("--passphrase-file", import_passphrase_file, "file holding an encrypted archive's passphrase");
  import_cmd->add_option("ARCHIVE", import_archive, "a file written by `holdfast export --format archive`")
      ->required();

  CLI::App* restore_cmd =
      app.add_subcommand("restore-device", "write the vault's items back into the device's sources");
  holdfast::cli::RestoreArgs restore_args;
  restore_cmd->add_option("--source", restore_args.snapshot.source, "only this source");
  restore_cmd->add_option("--as-of", restore_args.snapshot.as_of, "the items as they were then");
  restore_cmd->add_flag("--dry-run", restore_args.dry_run, "say what would be written, write nothing");
  restore_cmd->add_flag("--overwrite", restore_args.overwrite,
                        "also replace device files whose content differs from the vault's");

  CLI::App* remote_cmd = app.add_subcommand("remote", "manage the servers the vault is pushed to");
  remote_cmd->require_subcommand(1);
  CLI::App* remote_add = remote_cmd->add_subcommand("add", "add a server (docs/protocol.md)");
  holdfast::agent::RemoteConfig remote;
  remote_add->add_option("NAME", remote.name, "name of the remote")->required();
  remote_add->add_option("--url", remote.url, "base URL, https://...")->required();
  remote_add->add_option("--account", remote.account, "this device's account on the server")->required();
  remote_add->add_option("--token-file", remote.token_file, "file holding the bearer token (mode 0600)")->required();
  remote_add->add_option("--ca-file", remote.ca_file, "PEM certificates to verify the server with");
  remote_add->add_option("--pin-sha256", remote.pin_sha256,
                         "base64 SHA-256 of the server's public key: refuse any other key");
  remote_add->add_flag("--insecure-plain-http", remote.insecure_plain_http,
                       "allow plain http to a host other than this one: token and data unencrypted");
  CLI::App* remote_list = remote_cmd->add_subcommand("list", "list the configured remotes");

  CLI::App* push_cmd = app.add_subcommand("push", "send new and changed items, blobs and deletions to a server");
  std::string push_remote, push_rate;
  push_cmd->add_option("--remote", push_remote, "the remote (default: the only one)");
  push_cmd->add_option("--max-rate", push_rate, "bandwidth limit in bytes per second, e.g. 500k, 2M");

  CLI::App* check_cmd = app.add_subcommand("check", "has the server lost data it acknowledged?");
  std::string check_remote;
  check_cmd->add_option("--remote", check_remote, "the remote (default: the only one)");
  CLI::App* recover_cmd = app.add_subcommand("recover", "put back what the server lost, verified by read-back");
  std::string recover_remote;
  bool recover_wait = false;
  recover_cmd->add_option("--remote", recover_remote, "the remote (default: the only one)");
  recover_cmd->add_flag("--wait", recover_wait, "for an operator's re-upload: wait for this device's slot");
  CLI::App* reupload_cmd = app.add_subcommand("reupload", "send everything (or one collection) again, verified");
  std::string reupload_remote, reupload_collection;
  reupload_cmd->add_option("--remote", reupload_remote, "the remote (default: the only one)");
  reupload_cmd->add_option("--collection", reupload_collection, "only this collection");

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

  if (init->parsed()) return holdfast::cli::RunInit(options);
  if (status->parsed()) return holdfast::cli::RunStatus(options, status_json);
  if (verify->parsed()) return holdfast::cli::RunVerify(options, verify_json);
  if (source_add->parsed()) {
    return holdfast::cli::RunSourceAdd(options, source_kind, source_path, source_name);
  }
  if (source_list->parsed()) return holdfast::cli::RunSourceList(options);
  if (capture->parsed()) return holdfast::cli::RunCapture(options, capture_source, accept_deletions);
  if (export_cmd->parsed()) return holdfast::cli::RunExport(options, export_args);
  if (import_cmd->parsed()) return holdfast::cli::RunImport(options, import_archive, import_passphrase_file);
  if (restore_cmd->parsed()) return holdfast::cli::RunRestoreDevice(options, restore_args);
  if (remote_add->parsed()) return holdfast::cli::RunRemoteAdd(options, remote);
  if (remote_list->parsed()) return holdfast::cli::RunRemoteList(options);
  if (push_cmd->parsed()) return holdfast::cli::RunPush(options, push_remote, push_rate);
  if (check_cmd->parsed()) return holdfast::cli::RunCheck(options, check_remote);
  if (recover_cmd->parsed()) return holdfast::cli::RunRecover(options, recover_remote, recover_wait);
  if (reupload_cmd->parsed()) return holdfast::cli::RunReupload(options, reupload_remote, reupload_collection);
  return holdfast::agent::kExitUsage;
}
