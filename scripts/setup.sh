#!/usr/bin/env bash
# Installs the Debian packages ipcbench needs (if missing) and builds it (Release by default).
# Usage: scripts/setup.sh [BUILD_DIR] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make pkg-config libbenchmark-dev libevent-dev libboost-dev libcli11-dev libfmt-dev
          libgtest-dev nlohmann-json3-dev liburing-dev libzmq3-dev python3-matplotlib python3-pytest
          iproute2 help2man wrk nginx-light)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  # nginx is a peer the http tests start on a port of their own, never a service: where no
  # policy says otherwise, installing it must not start one on port 80.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_dir=${1:-build}
shift || true
# stdout belongs to what runs after set-up (scripts/run.sh > table.txt is the table): one line
# per step on stderr, the full log in a file that is shown when a step fails.
mkdir -p "$build_dir"
log="$build_dir/setup.log"
: >"$log"
step() {
  local what=$1
  shift
  echo "setup: $what (log: $log)" >&2
  if ! "$@" >>"$log" 2>&1; then
    echo "setup: $what failed; the log follows" >&2
    cat "$log" >&2
    exit 1
  fi
}
step "configuring ${BUILD_TYPE:-Release} in $build_dir" \
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@"
step "building with $(nproc) jobs" cmake --build "$build_dir" -j"$(nproc)"
