// The agent's configuration: the device's PIM sources (docs/config.md).
//
// Stored as JSON at $XDG_CONFIG_HOME/holdfast/config.json (or --config),
// written atomically (platform::WriteFileAtomically). A missing file is an
// empty configuration. Values, not thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

// kEds: the address books, calendars, task lists and memo lists of
// Evolution Data Server (docs/eds.md), read and written through EDS's API;
// one such source holds collections of the four kinds.
enum class SourceKind { kContacts, kCalendar, kTasks, kNotes, kPhotos, kEds };

// "contacts", "calendar", "tasks", "notes", "photos", "eds".
const char* SourceKindName(SourceKind kind);
std::optional<SourceKind> ParseSourceKind(std::string_view name);
// The kind of item a source of this kind holds (kEds: each collection has
// its own kind, see EdsPick; kContact is returned).
storage::ItemKind ItemKindOf(SourceKind kind);

// An EDS collection an eds source is limited to: kind is kContacts (an
// address book), kCalendar, kTasks (a task list) or kNotes (a memo list);
// uid is EDS's UID for it ("system-address-book", or a folder name under
// ~/.config/evolution/sources/).
struct EdsPick {
  SourceKind kind = SourceKind::kContacts;
  std::string uid;
  bool operator==(const EdsPick&) const = default;
};

// The EDS collection of this kind and UID EDS gives every user
// ("system-address-book", "system-calendar", "system-task-list",
// "system-memo-list").
std::string BuiltinEdsUid(SourceKind kind);

struct SourceConfig {
  std::string name;  // unique; names the source in the vault and on the CLI
  SourceKind kind = SourceKind::kContacts;
  // Absolute: a vdir folder, a single .vcf/.ics export, or a photo folder;
  // for kEds, EDS's data folder (~/.local/share/evolution), where the agent
  // watches for changes and the only place contact photo files are read from.
  std::string path;
  // The device-loss guard: a scan that misses more than loss_percent % of a
  // collection's items AND more than loss_min_items items records no deletion.
  int loss_percent = 20;
  int loss_min_items = 5;
  // kEds: the collections to capture; empty: every collection EDS keeps on
  // the device (backend "local") of the four kinds, as found at each capture.
  std::vector<EdsPick> eds_collections{};
};

// What a remote speaks: the Holdfast protocol (docs/protocol.md), or
// CalDAV/CardDAV/WebDAV (docs/dav.md).
enum class RemoteType { kHoldfast, kDav };
const char* RemoteTypeName(RemoteType type);  // "holdfast", "dav"
std::optional<RemoteType> ParseRemoteType(std::string_view name);

// DAV: a vault collection stored at a URL the user names (`holdfast remote
// map`), for servers without discovery or to use a collection that exists
// already. The kind is the source's, recorded when the map is made.
struct CollectionMapping {
  std::string source;      // the source's name in the config
  std::string collection;  // the collection's name in the vault (holdfast status lists them)
  SourceKind kind = SourceKind::kContacts;
  std::string url;  // the collection's URL, ending in '/', checked as the remote's URL is
};

// A server the vault is pushed to (docs/protocol.md, docs/dav.md).
struct RemoteConfig {
  std::string name;        // unique; names the remote on the CLI and in the vault's ledger
  // Holdfast: the base URL, e.g. https://sync.example.net. DAV: where
  // discovery starts (a server root, a principal, or a home set).
  std::string url;
  std::string account;     // Holdfast: the device's account on the server
  // Absolute path of a file holding the bearer token, mode 0600: Holdfast
  // always; DAV optionally (HTTP Bearer, RFC 6750), instead of user/password.
  std::string token_file;
  std::string ca_file;     // optional PEM bundle to verify the server with
  // Plain http to a host other than loopback: the token and data travel
  // unencrypted. Only with `remote add --insecure-plain-http`.
  bool insecure_plain_http = false;
  // Optional: base64 SHA-256 of the server's public key; a server with another
  // key is refused during the TLS handshake, before the token is sent.
  std::string pin_sha256;
  RemoteType type = RemoteType::kHoldfast;
  // DAV: HTTP Basic user and the absolute path of a file holding the
  // password (mode 0600); both empty: no authentication.
  std::string user{};
  std::string password_file{};
  // DAV: optional WebDAV folder URL that photos go to (the same TLS rules).
  std::string photos_url{};
  // DAV: collections at explicit URLs; at most one per source and collection.
  std::vector<CollectionMapping> collections{};
};

// How the background agent (`holdfast run`, docs/agent.md) paces itself:
// "agent" in the config file; every field is optional.
struct AgentSettings {
  int64_t debounce_ms = 1000;        // quiet time after a change on the device before capturing it
  int64_t max_delay_ms = 3000;       // changes that go on are captured at most this long after the first
  int64_t rescan_interval_s = 3600;  // a full rescan of every source (what change notification missed)
  int64_t check_interval_s = 3600;   // each remote is checked (and pushed to) this often, +-25% jitter
  int64_t retry_min_s = 15;          // after a failure, the first wait is up to this; it doubles per
  int64_t retry_max_s = 3600;        //   failure up to retry_max_s, drawn uniformly (full jitter)
  int64_t unreachable_alert_h = 72;  // a remote not reached for this long raises an alert
  bool desktop_notifications = true; // alerts go to the desktop's notifications when there are some
  std::string alert_command;         // else (or also, when set) run as: sh -c CMD holdfast SUMMARY BODY
  bool operator==(const AgentSettings&) const = default;
};

struct Config {
  std::vector<SourceConfig> sources;
  std::vector<RemoteConfig> remotes;
  AgentSettings agent;
  const SourceConfig* FindSource(std::string_view name) const;
  const RemoteConfig* FindRemote(std::string_view name) const;
};

// $XDG_CONFIG_HOME/holdfast/config.json, else ~/.config/holdfast/config.json.
Result<std::filesystem::path> DefaultConfigPath();

// Reads a config file; a missing file gives an empty Config. Errors:
// kMalformedInput naming the file and the field for bad JSON or values.
Result<Config> LoadConfig(const std::filesystem::path& path);

// Writes the config atomically (0600, in a 0700 folder).
Status SaveConfig(const std::filesystem::path& path, const Config& config);

// Checks and adds a remote: a new non-empty name, an http(s) URL as curl
// (for DAV: a user and a password file, both or neither, or instead a
// token file for Bearer, and the photo folder's URL under the same rules as
// the URL; no account)
// reads it (platform::ParseServerUrl: no user info, query or fragment; plain
// http only to loopback unless insecure_plain_http), an account, a token file
// (made absolute), a pin that is a base64 SHA-256 if given. Errors:
// kAlreadyExists, kInvalidArgument.
Status AddRemote(Config* config, RemoteConfig remote);

// A remote's URL (`url` or `photos_url`, named by `option` in messages) as
// curl's parser reads it, trailing slashes dropped: plain http only to
// loopback unless insecure_plain_http. Checked when a remote is added and
// again when one is connected (the config may be edited by hand).
// Errors: kInvalidArgument naming the remote, the option and the host.
Result<std::string> CheckedRemoteUrl(const RemoteConfig& remote, std::string text, const char* option);

// The remote to use: the named one, else the only one. Errors: kNotFound,
// kInvalidArgument (several remotes and no name).
Result<const RemoteConfig*> ChooseRemote(const Config& config, const std::string& name);

// Maps a collection of a DAV remote to `mapping.url` (replacing an earlier
// map of the same source and collection): the remote must be a DAV one, the
// source must exist (its kind is recorded), the URL passes CheckedRemoteUrl.
// Errors: kNotFound (remote or source), kInvalidArgument.
Status MapCollection(Config* config, const std::string& remote_name, CollectionMapping mapping);

// Reads the token of a remote. The file must belong to this user and be
// readable by nobody else (mode 0600 or stricter). Errors: kNotFound,
// kAuthFailed (a file others can read, or an empty token), kPermission.
// The token itself never appears in an error message.
Result<std::string> ReadToken(const RemoteConfig& remote);

// Reads the password of a DAV remote: the same file checks as ReadToken; one
// line, trailing line end dropped. Errors: as ReadToken.
Result<std::string> ReadPassword(const RemoteConfig& remote);

// Checks and adds a source: the name must be new and non-empty, the path is
// made absolute; an eds source's picks must be of the four EDS kinds with a
// UID, each once. Errors: kAlreadyExists, kInvalidArgument.
Status AddSource(Config* config, SourceConfig source);

}  // namespace holdfast::agent
