#!/usr/bin/env bash
# Set-up, build and the two jobs a new user runs (see README):
#   tools/dev.sh demo   installs what is missing, builds, runs the agent's main job
#   tools/dev.sh test   installs what is missing, builds, runs the whole test suite; then
#                       builds again with AddressSanitizer and UndefinedBehaviorSanitizer
#                       (build-asan, HOLDFAST_SANITIZE=ON) and runs the whole suite there;
#                       then the arm64 job below with the CI selection of tests
#   tools/dev.sh arm64  cross-builds for arm64 (build-arm64, cmake/toolchain-arm64.cmake),
#                       runs the unit and integration tests under qemu-user and builds
#                       the arm64 .deb packages; --ci runs CI's selection of those tests,
#                       --all the crash and fuzz tests too (docs/arm64.md)
#   tools/dev.sh package  installs what is missing, builds the two programs, writes the .deb
#                       packages holdfast and holdfast-server (cpack) and prints their paths
# Idempotent: packages are installed only when missing, the build is incremental.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD_DIR=${HOLDFAST_BUILD_DIR:-$ROOT/build}
ASAN_BUILD_DIR=${HOLDFAST_ASAN_BUILD_DIR:-$ROOT/build-asan}
ARM64_BUILD_DIR=${HOLDFAST_ARM64_BUILD_DIR:-$ROOT/build-arm64}

PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsqlite3-dev libcurl4-openssl-dev libssl-dev libexpat1-dev
  nlohmann-json3-dev doctest-dev libcli11-dev libjpeg62-turbo-dev libarchive-dev zstd libsodium-dev libsystemd-dev
  bc time curl sqlite3 libcpp-httplib-dev jq
)
# Real PIM clients the tests check restored data with (tests/integration/real_clients_test.cc);
# the real CalDAV/CardDAV/WebDAV servers the DAV backend is tested against
# (tests/support/dav_server.h, tools/dav/probe.sh), and vdirsyncer, the client
# the DAV benchmark compares with (issue 14); strace counts the connections a
# DAV retry test makes. The agent's desktop notifications are checked against a
# real notification server, dunst, on an Xvfb display and a session bus of the
# test's own (tests/integration/agent_run_test.cc). Evolution Data Server and its
# client libraries: the build then has EDS sources (optional: HOLDFAST_EDS, docs/eds.md)
# and the EDS tests run against the real service on a private session bus.
TEST_PACKAGES=(khard khal todoman
  radicale xandikos apache2 apache2-utils nginx libnginx-mod-http-dav-ext vdirsyncer strace
  dunst xvfb xauth dbus-daemon dbus-bin faketime
  evolution-data-server libebook1.2-dev libecal2.0-dev)
# The .deb packages (packaging/install.cmake): cpack's DEB generator runs file and
# dpkg-shlibdeps (dpkg-dev); the package test (tests/package) runs systemd-analyze
# verify on the installed units and man to check the man pages.
PACKAGE_PACKAGES=(dpkg-dev file systemd man-db)

# The arm64 cross-build (docs/arm64.md): Debian's cross toolchain, the :arm64
# builds of the libraries in PACKAGES that are not header-only (cpp-httplib
# is a compiled library in Debian), libsystemd for the agent, and qemu-user-static,
# which runs arm64 programs here through binfmt_misc. The :arm64 libraries
# must be the same versions as the amd64 ones (Multi-Arch: same), so apt-get
# may upgrade amd64 packages alongside.
ARM64_PACKAGES=(crossbuild-essential-arm64 qemu-user-static
  libsqlite3-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64 libexpat1-dev:arm64
  libjpeg62-turbo-dev:arm64 libarchive-dev:arm64 libsodium-dev:arm64 libcpp-httplib-dev:arm64
  libsystemd-dev:arm64)

install_packages() {
  local missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # The web servers among the test packages (apache2, nginx) would each start a
  # system service on port 80 when installed; on a machine with systemd the second
  # one can fail to start, and its install with it. The tests run their own
  # instances on loopback ports, so no service is started during the install:
  # a policy-rc.d that refuses starts, kept only while apt-get runs, and only
  # when the machine has none of its own.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && own_policy=1
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
  [ "$own_policy" -eq 1 ] && $sudo rm -f "$policy"
  return "$status"
}

# Compiler flags. Line tables only (-g1): backtraces, gdb and sanitizer reports
# still name file and line, and a translation unit compiles in about two thirds
# of the time of full -g (agent/main.cc: 14 s against 22 s here). The sanitizer
# build uses -Og, which ASan and UBSan instrument four times faster than -O2
# (agent/main.cc: 19 s against 80 s); warnings are already errors in the
# normal build, and -Og's extra maybe-uninitialized guesses are not.
NORMAL_FLAGS="-O2 -g1 -DNDEBUG"
SANITIZE_FLAGS="-Og -g1 -Wno-error=maybe-uninitialized"

# build DIR [CMAKE OPTIONS...]
build() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ] || [ $# -gt 0 ]; then
    echo "==> configuring $dir"
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$NORMAL_FLAGS" "$@" >/dev/null
  fi
  echo "==> building $dir"
  local started=$SECONDS
  cmake --build "$dir" -j "$(nproc)"
  echo "==> built $dir in $((SECONDS - started))s"
}

# run_tests DIR: the whole suite. In build-asan each test runs through
# tests/support/sanitized_run.sh, which sets ASAN_OPTIONS/UBSAN_OPTIONS
# (halt_on_error, abort_on_error, print_stacktrace) and fails the test on a
# report from it or from any holdfast / holdfast-server child it started.
run_tests() {
  local dir=$1
  shift
  echo "==> running the tests in $dir $*"
  local started=$SECONDS
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900 "$@"
  echo "==> tests in $dir passed in $((SECONDS - started))s"
}

# package: the two programs and the man pages built, then one .deb per
# component in $BUILD_DIR/packages.
run_package() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$NORMAL_FLAGS" >/dev/null
  fi
  echo "==> building holdfast and holdfast-server in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target holdfast holdfast-server holdfast_man_pages
  echo "==> writing the packages"
  local started=$SECONDS log
  log=$(cd "$BUILD_DIR" && cpack -G DEB) || { echo "$log" >&2; return 1; }
  echo "==> packages written in $((SECONDS - started))s:"
  sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' <<<"$log"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Lets the kernel run arm64 programs through qemu-aarch64-static (binfmt_misc),
# as the integration tests need: they start holdfast, holdfast-server, vault_tool
# and holdfast-handset-gen of the arm64 build themselves. Mounts binfmt_misc
# if it is not, and registers Debian's qemu-aarch64 entry (its F flag opens the
# interpreter now, so it works in containers too) if it is missing.
enable_arm64_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  if [ ! -e "$dir/register" ]; then
    as_root mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || true
  fi
  if [ ! -e "$dir/qemu-aarch64" ] && [ -e "$dir/register" ] && [ -f "$conf" ]; then
    grep -v '^#' "$conf" | as_root tee "$dir/register" >/dev/null 2>&1 || true
  fi
  if [ -e "$dir/qemu-aarch64" ] && ! grep -qx enabled "$dir/qemu-aarch64"; then
    echo 1 | as_root tee "$dir/qemu-aarch64" >/dev/null 2>&1 || true
  fi
}

# Fails with what to do when this machine cannot run an arm64 program directly.
check_arm64_runs() {
  local probe=$1 out
  if out=$("$probe" --version 2>&1); then
    echo "==> arm64 programs run here through binfmt_misc and qemu-aarch64: $out"
    return 0
  fi
  cat >&2 <<EOM
FAILED: this machine cannot run the arm64 build's programs ($probe --version: ${out:-no output}).
The integration tests start arm64 programs themselves, so the kernel must hand
them to qemu-aarch64-static through binfmt_misc, and that takes root:
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
In a container without the right to mount binfmt_misc, run those two lines on
the host (with qemu-user-static installed there) or run the container privileged.
EOM
  return 1
}

# The arm64 .deb packages, from the CPack rules of the arm64 build (the
# toolchain file makes their architecture arm64), each checked: architecture
# arm64 in its control file, an aarch64 program inside.
build_arm64_debs() {
  local dir=$1
  if [ ! -f "$ROOT/packaging/install.cmake" ]; then
    echo "==> no packaging rules in this tree (packaging/install.cmake): no arm64 .deb"
    return 0
  fi
  if [ ! -f "$dir/CPackConfig.cmake" ]; then
    echo "FAILED: $dir has no CPack configuration (CPackConfig.cmake): no arm64 .deb" >&2
    return 1
  fi
  echo "==> building the arm64 .deb packages in $dir"
  local marker debs=() deb unpacked
  marker=$(mktemp)
  (cd "$dir" && cpack -G DEB >/dev/null)
  mapfile -t debs < <(find "$dir" -path "$dir/_CPack_Packages" -prune -o -name '*.deb' -newer "$marker" -print)
  rm -f "$marker"
  [ ${#debs[@]} -gt 0 ] || { echo "FAILED: cpack wrote no .deb under $dir" >&2; return 1; }
  for deb in "${debs[@]}"; do
    if [ "$(dpkg-deb -f "$deb" Architecture)" != arm64 ]; then
      echo "FAILED: $deb: architecture $(dpkg-deb -f "$deb" Architecture), not arm64" >&2
      return 1
    fi
    unpacked=$(mktemp -d)
    dpkg-deb -x "$deb" "$unpacked"
    if ! find "$unpacked/usr/bin" -type f -exec file {} + 2>/dev/null | grep -q 'ARM aarch64'; then
      echo "FAILED: $deb holds no aarch64 program in /usr/bin" >&2
      rm -rf "$unpacked"
      return 1
    fi
    rm -rf "$unpacked"
    echo "==> $deb: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) arm64"
  done
}

# arm64 [ctest options...]: cross-build, tests under qemu-user, .deb packages.
run_arm64() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "==> adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64
  fi
  install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${ARM64_PACKAGES[@]}"
  enable_arm64_binfmt
  if [ -f "$ARM64_BUILD_DIR/build.ninja" ]; then
    build "$ARM64_BUILD_DIR"
  else
    build "$ARM64_BUILD_DIR" --toolchain "$ROOT/cmake/toolchain-arm64.cmake"
  fi
  check_arm64_runs "$ARM64_BUILD_DIR/agent/holdfast"
  echo "==> running the tests in $ARM64_BUILD_DIR under qemu-aarch64 ($*)"
  local started=$SECONDS
  ctest --test-dir "$ARM64_BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 1800 "$@"
  echo "==> arm64 tests passed in $((SECONDS - started))s"
  build_arm64_debs "$ARM64_BUILD_DIR"
}

# The arm64 tests CI runs (docs/arm64.md has the figures): every unit test and
# the integration tests but for the slowest under qemu, whose code paths the
# others cover on arm64 too and which run natively and under ASan above.
# On arm64 under qemu: the unit tests, the fuzz corpora's replays (parsers,
# where arm64's unsigned char could differ) and the integration tests but the
# long ones whose paths others cover there too (push and recovery: agent_run_test
# and dav_wipes_test).
ARM64_CI_TESTS=(-L 'unit|integration|fuzz'
  -E '^(size_limits_test|dav_story_test|dav_photo_story_test|device_campaign_test|encrypted_export_test|push_test|recover_test)$')
ASAN_CI_EXCLUDED=(-E '^(dav_story_test|dav_photo_story_test)$')

run_demo() {
  HOLDFAST_BUILD_DIR="$BUILD_DIR" "$ROOT/tools/demo.sh" "$@"
}

case "${1:-}" in
  test)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
    # EDS is installed with the test packages: its tests must not be left out quietly.
    build "$BUILD_DIR" -DHOLDFAST_EDS=ON
    run_tests "$BUILD_DIR"
    build "$ASAN_BUILD_DIR" -DHOLDFAST_EDS=ON -DHOLDFAST_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$SANITIZE_FLAGS"
    # Under the sanitizers every test runs but the two long DAV stories (their
    # client code runs under the sanitizers in the other DAV tests), the long
    # crash campaigns with smaller counts and the size limits up to 16 MiB (the
    # normal run above does the CI counts; docs/reliability.md, "CI time").
    HOLDFAST_POWER_CUT_STRIDE=4 HOLDFAST_IO_ERROR_STRIDE=10 HOLDFAST_KILLS=25 HOLDFAST_DISK_FULL_LEVELS=2 \
      HOLDFAST_SIZE_LIMITS_UP_TO_MIB=16 run_tests "$ASAN_BUILD_DIR" "${ASAN_CI_EXCLUDED[@]}"
    run_arm64 "${ARM64_CI_TESTS[@]}"
    ;;
  arm64)
    shift
    case "${1:-}" in
      --all) run_arm64 ;;
      --ci) run_arm64 "${ARM64_CI_TESTS[@]}" ;;
      *) run_arm64 -L 'unit|integration' ;;
    esac
    ;;
  demo)
    shift
    # --server radicale needs Radicale (and curl, python3) besides the build's packages.
    case " $* " in *" radicale "*) install_packages "${PACKAGES[@]}" radicale curl python3 ;; *) install_packages "${PACKAGES[@]}" ;; esac
    build "$BUILD_DIR"
    run_demo "$@"
    ;;
  package)
    install_packages "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
    run_package
    ;;
  *) echo "usage: tools/dev.sh demo [--profile large] [--server radicale] | tools/dev.sh test | tools/dev.sh package | tools/dev.sh arm64 [--ci|--all]" >&2; exit 2 ;;
esac
