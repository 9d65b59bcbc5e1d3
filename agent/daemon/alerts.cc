#include "agent/daemon/alerts.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <vector>

#include "platform/desktop_notification.h"

extern char** environ;

namespace holdfast::agent {
namespace {

// sh -c COMMAND holdfast SUMMARY BODY: the command reads them as $1 and $2,
// so no text of the alert is ever parsed by the shell.
Status RunAlertCommand(const std::string& command, const AgentAlert& alert) {
  std::vector<std::string> args = {"/bin/sh", "-c", command, "holdfast", alert.summary, alert.body};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return ErrnoStatus("alert command", rc);
  return Status::Ok();
}

}  // namespace

std::string AlertSender::Send(const AgentAlert& alert, std::string* problems) {
  std::string shown;
  if (settings_.desktop_notifications) {
    Result<uint32_t> id = platform::ShowDesktopNotification(alert.summary, alert.body, /*critical=*/true);
    if (id) {
      shown = "desktop";
    } else if (id.error().code() != ErrorCode::kNotFound || settings_.alert_command.empty()) {
      *problems += id.error().message() + "\n";
    }
  }
  if (!settings_.alert_command.empty()) {
    Status ran = RunAlertCommand(settings_.alert_command, alert);
    if (ran.ok()) {
      shown += shown.empty() ? "command" : "+command";
    } else {
      *problems += ran.message() + "\n";
    }
  }
  return shown.empty() ? "log" : shown;
}

void AlertSender::ReapCommands() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace holdfast::agent
