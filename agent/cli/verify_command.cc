// `holdfast verify [--json]`: integrity check and every SHA-256 recomputed.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agent/cli/commands.h"
#include "agent/exit_codes.h"
#include "agent/json_text.h"
#include "platform/terminal_text.h"

namespace holdfast::cli {
namespace {

int RunVerify(const GlobalOptions& options, bool json) {
  Result<std::unique_ptr<storage::Vault>> vault = OpenVault(options);
  if (!vault) return ReportError(vault.error());
  Result<storage::VerifyReport> report = (*vault)->Verify();
  if (!report) return ReportError(report.error());
  if (json) {
    nlohmann::json damage = nlohmann::json::array();
    for (const storage::Damage& d : report->damage) {
      nlohmann::json entry = {{"what", d.what}, {"detail", d.detail}};
      agent::PutJsonText(&entry, "where", d.where);  // may name an item by its uid: bytes
      damage.push_back(std::move(entry));
    }
    nlohmann::json doc = {{"vault", (*vault)->path().string()},
                          {"ok", report->ok()},
                          {"revisions_checked", report->revisions_checked},
                          {"blobs_checked", report->blobs_checked},
                          {"bytes_hashed", report->bytes_hashed},
                          {"damage", damage}};
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "Checked " << report->revisions_checked << " revisions and "
              << report->blobs_checked << " blobs (" << report->bytes_hashed
              << " bytes hashed) in " << (*vault)->path().string() << "\n";
    for (const storage::Damage& d : report->damage) {
      std::cout << "DAMAGED " << d.what << " " << platform::TerminalSafe(d.where) << ": " << platform::TerminalSafe(d.detail) << "\n";
    }
    std::cout << (report->ok() ? "OK: no damage found\n"
                               : "FAILED: " + std::to_string(report->damage.size()) +
                                     " problem(s) found; keep a copy of the vault file\n");
  }
  return report->ok() ? agent::kExitOk : agent::kExitDamage;
}

}  // namespace

void RegisterVerifyCommand(CLI::App& app, Invocation& invocation) {
  CLI::App* verify = app.add_subcommand("verify", "check the vault's integrity and every stored SHA-256");
  auto json = std::make_shared<bool>(false);
  verify->add_flag("--json", *json, "machine-readable output");
  SetRun(verify, invocation, [json](const GlobalOptions& options) { return RunVerify(options, *json); });
}

}  // namespace holdfast::cli
