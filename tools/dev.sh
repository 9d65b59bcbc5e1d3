#!/usr/bin/env bash
# Set-up, build and the two jobs a new user runs (see README):
#   tools/dev.sh demo   installs what is missing, builds, runs the agent's main job
#   tools/dev.sh test   installs what is missing, builds, runs the whole test suite
# Idempotent: packages are installed only when missing, the build is incremental.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD_DIR=${HOLDFAST_BUILD_DIR:-$ROOT/build}

PACKAGES=(
  g++ cmake ninja-build pkg-config
  libsqlite3-dev libcurl4-openssl-dev libssl-dev
  nlohmann-json3-dev doctest-dev libcli11-dev libjpeg62-turbo-dev libarchive-dev zstd
  bc time curl sqlite3 libcpp-httplib-dev jq
)
# Real PIM clients the tests check restored data with (tests/integration/real_clients_test.cc).
TEST_PACKAGES=(khard khal todoman)

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
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    echo "==> configuring $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  echo "==> building"
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

run_tests() {
  echo "==> running the tests"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 900
}

run_demo() {
  HOLDFAST_BUILD_DIR="$BUILD_DIR" "$ROOT/tools/demo.sh" "$@"
}

case "${1:-}" in
  test) install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"; build; run_tests ;;
  demo) shift; install_packages "${PACKAGES[@]}"; build; run_demo "$@" ;;
  *) echo "usage: tools/dev.sh demo [--profile large] | tools/dev.sh test" >&2; exit 2 ;;
esac
