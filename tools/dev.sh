#!/usr/bin/env bash
# Set-up, build and the two jobs a new user runs (see README):
#   tools/dev.sh demo   installs what is missing, builds, runs the agent's main job
#   tools/dev.sh test   installs what is missing, builds, runs the whole test suite; then
#                       builds again with AddressSanitizer and UndefinedBehaviorSanitizer
#                       (build-asan, HOLDFAST_SANITIZE=ON) and runs the whole suite there
#   tools/dev.sh package  installs what is missing, builds the two programs, writes the .deb
#                       packages holdfast and holdfast-server (cpack) and prints their paths
# Idempotent: packages are installed only when missing, the build is incremental.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD_DIR=${HOLDFAST_BUILD_DIR:-$ROOT/build}
ASAN_BUILD_DIR=${HOLDFAST_ASAN_BUILD_DIR:-$ROOT/build-asan}

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
# DAV retry test makes.
TEST_PACKAGES=(khard khal todoman
  radicale xandikos apache2 apache2-utils nginx libnginx-mod-http-dav-ext vdirsyncer strace
  faketime)
# The .deb packages (packaging/install.cmake): cpack's DEB generator runs file and
# dpkg-shlibdeps (dpkg-dev); the package test (tests/package) runs systemd-analyze
# verify on the installed units and man to check the man pages.
PACKAGE_PACKAGES=(dpkg-dev file systemd man-db)

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
  echo "==> running the tests in $1"
  local started=$SECONDS
  ctest --test-dir "$1" --output-on-failure -j "$(nproc)" --timeout 900
  echo "==> tests in $1 passed in $((SECONDS - started))s"
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

run_demo() {
  HOLDFAST_BUILD_DIR="$BUILD_DIR" "$ROOT/tools/demo.sh" "$@"
}

case "${1:-}" in
  test)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
    build "$BUILD_DIR"
    run_tests "$BUILD_DIR"
    build "$ASAN_BUILD_DIR" -DHOLDFAST_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$SANITIZE_FLAGS"
    # Under the sanitizers every test runs, the long crash campaigns with
    # smaller counts (the normal run above does the CI counts; docs/reliability.md).
    HOLDFAST_POWER_CUT_STRIDE=4 HOLDFAST_IO_ERROR_STRIDE=10 HOLDFAST_KILLS=25 HOLDFAST_DISK_FULL_LEVELS=2 \
      run_tests "$ASAN_BUILD_DIR"
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
  *) echo "usage: tools/dev.sh demo [--profile large] [--server radicale] | tools/dev.sh test | tools/dev.sh package" >&2; exit 2 ;;
esac
