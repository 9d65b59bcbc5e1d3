#!/usr/bin/env bash
# The Debian packages as a user gets them (issue 15, "Installed like any Debian
# software"): written by cpack from this build, installed with
#   apt-get install ./holdfast_*.deb ./holdfast-server_*.deb
# then the installed programs run for real (a vault in a scratch HOME, a push to
# the installed server on 127.0.0.1), the installed units pass
# `systemd-analyze verify` with nothing to say, and the packages are removed and
# purged again: the programs are gone, the user's vault is byte for byte as it
# was, the server's data folder and system user are kept.
#
#   package_test.sh BUILD_DIR VERSION
#
# Installs into / and so runs as root only (exit 77, skipped, otherwise).
# Packages it did not install itself are never touched: when holdfast or
# holdfast-server is installed already and not by an earlier run of this test
# (its marker file), it fails without changing anything.
set -euo pipefail

BUILD_DIR=$1
VERSION=$2
MARKER=/var/lib/holdfast-package-test.installed
STATE_DIR=/var/lib/holdfast-server
# Another apt-get or dpkg at work (an install elsewhere on the machine): wait for its lock.
APT_WAIT=(-o DPkg::Lock::Timeout=300)

fail() {
  echo "FAILED: $*" >&2
  exit 1
}
step() { echo "==> $*"; }
trap 'echo "FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
timed_start=$SECONDS
took() { echo "    ($((SECONDS - timed_start)) s)"; timed_start=$SECONDS; }

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the package test installs .deb files into / with apt-get and runs as root only (CI runs as root)"
  exit 77
fi
for tool in apt-get dpkg cpack systemd-analyze man runuser; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (tools/dev.sh installs it: PACKAGE_PACKAGES)"
done

# Those of the two packages dpkg still knows: installed (or half so), or removed
# with their config left (a package with maintainer scripts stays so until purged; apt-get
# purge refuses a name dpkg has forgotten).
known_packages() {
  local p
  for p in holdfast holdfast-server; do
    case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" in "" | *" not-installed") ;; *) echo "$p" ;; esac
  done
}
for p in $(known_packages); do
  [ -e "$MARKER" ] ||
    fail "the package $p is on this machine and not by this test; it would be replaced and purged: remove it first (apt-get purge $p)"
done

SCRATCH=$(mktemp -d /tmp/holdfast-package-test.XXXXXX)
# What this test creates outside SCRATCH, to be undone at the end, and only that.
created_state_dir=0
[ -e "$STATE_DIR" ] || created_state_dir=1
created_user=0
getent passwd holdfast-server >/dev/null || created_user=1
# An earlier run that was killed (a ctest timeout) left its packages, and in
# its marker what it had created besides.
if [ -e "$MARKER" ]; then
  # shellcheck disable=SC1090
  . "$MARKER"
fi
server_pid=""

cleanup() {
  local status=$?
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  # A failed run leaves nothing installed either.
  local left
  left=$(known_packages)
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" purge -y -qq $left >/dev/null 2>&1 || true
  fi
  rm -f "$MARKER"
  [ "$created_state_dir" -eq 0 ] || rm -rf "$STATE_DIR"
  if [ "$created_user" -eq 1 ]; then
    ! getent passwd holdfast-server >/dev/null || userdel holdfast-server || true
    ! getent group holdfast-server >/dev/null || groupdel holdfast-server || true
  fi
  rm -rf "$SCRATCH"
  exit "$status"
}
trap cleanup EXIT

# ---- 1. the packages, from this build
step "cpack: writing the packages from $BUILD_DIR"
(cd "$BUILD_DIR" && cpack -G DEB -B "$SCRATCH/packages" >"$SCRATCH/cpack.log" 2>&1) ||
  { cat "$SCRATCH/cpack.log" >&2; fail "cpack could not write the packages"; }
AGENT_DEB=$(ls "$SCRATCH"/packages/holdfast_"$VERSION"-*.deb)
SERVER_DEB=$(ls "$SCRATCH"/packages/holdfast-server_"$VERSION"-*.deb)
took

# ---- 2. installed as a user installs them
step "apt-get install ./$(basename "$AGENT_DEB") ./$(basename "$SERVER_DEB")"
echo "created_state_dir=$created_state_dir created_user=$created_user" >"$MARKER"
(cd "$SCRATCH/packages" && DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -qq \
  "./$(basename "$AGENT_DEB")" "./$(basename "$SERVER_DEB")" >"$SCRATCH/install.log" 2>&1) ||
  { cat "$SCRATCH/install.log" >&2; fail "apt-get could not install the packages"; }
took

step "the installed files"
version=$(/usr/bin/holdfast --version)
[ "$version" = "holdfast $VERSION" ] || fail "/usr/bin/holdfast --version printed '$version', not 'holdfast $VERSION'"
/usr/bin/holdfast-server --help >/dev/null || fail "/usr/bin/holdfast-server --help failed"
for f in /usr/lib/systemd/user/holdfast.service /usr/lib/systemd/system/holdfast-server.service \
  /usr/lib/sysusers.d/holdfast-server.conf /usr/share/doc/holdfast/README.md /usr/share/doc/holdfast/errors.md; do
  [ -f "$f" ] || fail "$f was not installed"
done
for f in /usr/bin/holdfast-handset-gen /usr/bin/vault_tool; do
  [ ! -e "$f" ] || fail "$f is a developer's tool and must not be in a package"
done
# dpkg-shlibdeps wrote the dependencies.
depends=$(dpkg-query -W -f='${Depends}' holdfast)
case "$depends" in *libsqlite3-0*libssl3* | *libssl3*libsqlite3-0*) ;; *) fail "holdfast depends on '$depends': no libsqlite3-0 and libssl3 (dpkg-shlibdeps)" ;; esac
for page in holdfast holdfast-server; do
  [ -n "$(man -w "$page")" ] || fail "man -w $page found no page"
  warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$(man -w "$page")" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man $page has warnings: $warnings"
done
# The server package's system user and data folder (its postinst).
IFS=: read -r _ _ uid _ _ home shell <<<"$(getent passwd holdfast-server)" || fail "postinst made no user holdfast-server"
[ "$uid" -lt 1000 ] || fail "holdfast-server has uid $uid: not a system user"
[ "$home" = "$STATE_DIR" ] || fail "holdfast-server's home is $home, not $STATE_DIR"
case "$shell" in */nologin | */false) ;; *) fail "holdfast-server has the login shell $shell" ;; esac
[ "$(stat -c '%U %a' "$STATE_DIR")" = "holdfast-server 700" ] ||
  fail "$STATE_DIR is $(stat -c '%U %a' "$STATE_DIR"), not holdfast-server 700"
took

# ---- 3. the units, as systemd reads them
# verify exits 0 on an unknown key or a value it cannot parse (it only warns):
# a unit passes when verify succeeds and prints nothing. It checks that the
# ExecStart binaries and the Documentation= man pages exist too. A user unit
# is verified by a user manager (--user), which needs XDG_RUNTIME_DIR even when
# systemd is not PID 1.
mkdir -m 0700 "$SCRATCH/runtime"
verify_unit() {  # verify_unit system|user FILE
  local scope=() out
  [ "$1" = user ] && scope=(--user)
  if out=$(XDG_RUNTIME_DIR="$SCRATCH/runtime" systemd-analyze "${scope[@]}" verify "$2" 2>&1) && [ -z "$out" ]; then
    return 0
  fi
  echo "$out" >&2
  return 1
}
step "systemd-analyze verify"
verify_unit system /usr/lib/systemd/system/holdfast-server.service ||
  fail "systemd-analyze verify /usr/lib/systemd/system/holdfast-server.service"
verify_unit user /usr/lib/systemd/user/holdfast.service ||
  fail "systemd-analyze --user verify /usr/lib/systemd/user/holdfast.service"
# Negative controls: the same check fails on a copy of each unit with one
# mistyped key, and on one whose ExecStart names a program that is not there.
mkdir "$SCRATCH/broken"
sed 's/^ProtectSystem=/ProtectSytem=/' /usr/lib/systemd/system/holdfast-server.service >"$SCRATCH/broken/holdfast-server.service"
sed 's|^ExecStart=/usr/bin/holdfast |ExecStart=/usr/bin/holdfast-missing |' /usr/lib/systemd/user/holdfast.service >"$SCRATCH/broken/holdfast.service"
! verify_unit system "$SCRATCH/broken/holdfast-server.service" 2>/dev/null ||
  fail "the unit check passed a system unit with an unknown key"
! verify_unit user "$SCRATCH/broken/holdfast.service" 2>/dev/null ||
  fail "the unit check passed a user unit whose ExecStart does not exist"
took

# ---- 4. the installed programs, for real
export HOME=$SCRATCH/home
unset XDG_DATA_HOME XDG_CONFIG_HOME
mkdir -p "$HOME/contacts/default"
printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pkg-1\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEND:VCARD\r\n' >"$HOME/contacts/default/pkg-1.vcf"
printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pkg-2\r\nFN:Bo Ek\r\nN:Ek;Bo;;;\r\nEND:VCARD\r\n' >"$HOME/contacts/default/pkg-2.vcf"
run() {  # run EXPECTED_OUTPUT COMMAND...: exit 0 and the output holds EXPECTED_OUTPUT
  local expected=$1 out
  shift
  out=$("$@" 2>&1) || fail "$* exited $?: $out"
  case "$out" in *"$expected"*) ;; *) fail "$* printed '$out', without '$expected'" ;; esac
}
step "the installed holdfast on a scratch HOME: init, source add, capture, status"
run "Created vault $HOME/.local/share/holdfast/vault.db" /usr/bin/holdfast init
run "Added contacts source 'contacts'" /usr/bin/holdfast source add --kind contacts "$HOME/contacts"
run "items: 2 new" /usr/bin/holdfast capture
run "2 items" /usr/bin/holdfast status

# A package built with EDS support holds its module apart from the program
# (platform/eds/eds_module.cc): the installed holdfast must find it. With a
# session bus that is not there, a found module says so; a lost one would say
# "cannot load holdfast's Evolution Data Server module".
if dpkg -L holdfast | grep -q '/holdfast-eds\.so$'; then
  step "the installed holdfast loads its EDS module"
  EDS_CONFIG="$SCRATCH/eds-config.json"
  /usr/bin/holdfast --vault "$SCRATCH/eds-vault.db" init >/dev/null || fail "init of a second vault failed"
  /usr/bin/holdfast --config "$EDS_CONFIG" source add --kind eds "$HOME/eds" --name eds >/dev/null ||
    fail "source add --kind eds failed with the installed holdfast"
  eds_out=$(env -u HOLDFAST_EDS_MODULE DBUS_SESSION_BUS_ADDRESS="unix:path=$SCRATCH/no-bus" \
    /usr/bin/holdfast --vault "$SCRATCH/eds-vault.db" --config "$EDS_CONFIG" capture 2>&1 || true)
  case "$eds_out" in
    *"cannot load"*) fail "the installed holdfast did not load its EDS module: $eds_out" ;;
    *"session bus"*) ;;
    *) fail "an eds capture without a session bus printed '$eds_out', without 'session bus'" ;;
  esac
fi

step "the installed holdfast-server on 127.0.0.1, a free port; push and check"
token=$(/usr/bin/holdfast-server add-account --data "$SCRATCH/server" --account phone) ||
  fail "holdfast-server add-account failed"
(umask 077 && echo "$token" >"$SCRATCH/token")
mkfifo "$SCRATCH/server.out"
/usr/bin/holdfast-server serve --data "$SCRATCH/server" --listen 127.0.0.1:0 >"$SCRATCH/server.out" 2>&1 &
server_pid=$!
exec 3<"$SCRATCH/server.out"
IFS= read -r -t 60 -u 3 listening || fail "holdfast-server printed no 'listening on' line within 60 s"
case "$listening" in "listening on 127.0.0.1:"*" (http)") ;; *) fail "holdfast-server printed '$listening'" ;; esac
port=${listening#listening on 127.0.0.1:}
port=${port%% *}
run "Added remote 'home'" /usr/bin/holdfast remote add home --url "http://127.0.0.1:$port" --account phone \
  --token-file "$SCRATCH/token"
run "2 items stored" /usr/bin/holdfast push
run "healthy" /usr/bin/holdfast check

step "the installed agent: holdfast run captures a new contact by itself and pushes it; SIGTERM stops it"
/usr/bin/holdfast run 2>"$SCRATCH/agent.log" &
agent_pid=$!
printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:pkg-3\r\nFN:Cy Young\r\nN:Young;Cy;;;\r\nEND:VCARD\r\n' >"$HOME/contacts/default/pkg-3.vcf"
for _ in $(seq 300); do
  grep -q "home: pushed: 1 stored" "$SCRATCH/agent.log" && break
  kill -0 "$agent_pid" 2>/dev/null || fail "holdfast run exited: $(cat "$SCRATCH/agent.log")"
  sleep 0.1
done
grep -q "captured contacts: 1 new" "$SCRATCH/agent.log" || fail "holdfast run did not capture pkg-3.vcf: $(cat "$SCRATCH/agent.log")"
grep -q "home: pushed: 1 stored" "$SCRATCH/agent.log" || fail "holdfast run did not push pkg-3.vcf: $(cat "$SCRATCH/agent.log")"
run "running since" /usr/bin/holdfast status
kill -TERM "$agent_pid"
wait "$agent_pid" || fail "holdfast run exited $? after SIGTERM: $(cat "$SCRATCH/agent.log")"
run "3 items" /usr/bin/holdfast status
kill -TERM "$server_pid"
wait "$server_pid" || fail "holdfast-server exited $? after SIGTERM"
server_pid=""
exec 3<&-

# The packaged layout as an operator uses it (holdfast-server(8)): an account
# made by the service's user in its data folder, kept by removal and purge.
# Only in a folder this test made: an operator's data is never touched.
if [ "$created_state_dir" -eq 1 ]; then
  runuser -u holdfast-server -- /usr/bin/holdfast-server add-account --data "$STATE_DIR" --account pkgtest >/dev/null ||
    fail "holdfast-server add-account as the user holdfast-server in $STATE_DIR failed"
  server_db_before=$(sha256sum "$STATE_DIR/server.db")
fi
took

# ---- 5. removed, then purged: the programs go, the vault and the server's data stay
snapshot() {  # every file and folder under HOME: name, type, mode, size, mtime and content
  (cd "$HOME" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
snapshot >"$SCRATCH/home.before"
[ -s "$HOME/.local/share/holdfast/vault.db" ] || fail "no vault in $HOME to keep"

step "apt-get remove holdfast holdfast-server"
DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" remove -y -qq holdfast holdfast-server >"$SCRATCH/remove.log" 2>&1 ||
  { cat "$SCRATCH/remove.log" >&2; fail "apt-get remove failed"; }
for f in /usr/bin/holdfast /usr/bin/holdfast-server /usr/lib/systemd/user/holdfast.service \
  /usr/lib/systemd/system/holdfast-server.service; do
  [ ! -e "$f" ] || fail "$f is still there after apt-get remove"
done
[ -d "$STATE_DIR" ] || fail "apt-get remove deleted $STATE_DIR"

left=$(known_packages | tr '\n' ' ')
[ "$left" = "holdfast-server " ] || fail "after apt-get remove dpkg knows '$left', not holdfast-server (its config left) alone"
step "apt-get purge $left"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" purge -y -qq $left >"$SCRATCH/purge.log" 2>&1 ||
  { cat "$SCRATCH/purge.log" >&2; fail "apt-get purge failed"; }
[ -z "$(known_packages)" ] || fail "dpkg still knows $(known_packages) after apt-get purge"
grep -q "kept the server's data in $STATE_DIR" "$SCRATCH/purge.log" ||
  fail "the purge did not say that it kept $STATE_DIR: $(cat "$SCRATCH/purge.log")"
[ -d "$STATE_DIR" ] || fail "apt-get purge deleted $STATE_DIR"
getent passwd holdfast-server >/dev/null || fail "apt-get purge deleted the user holdfast-server"
if [ "$created_state_dir" -eq 1 ]; then
  [ "$(sha256sum "$STATE_DIR/server.db")" = "$server_db_before" ] || fail "$STATE_DIR/server.db changed on removal"
fi
snapshot >"$SCRATCH/home.after"
diff "$SCRATCH/home.before" "$SCRATCH/home.after" >&2 || fail "removing the packages changed the user's files in $HOME"
rm -f "$MARKER"
took
echo "PASSED: installed, ran, verified, removed and purged; the vault in $HOME is untouched"
