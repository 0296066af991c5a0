#!/usr/bin/env bash
# The package stage of CI: builds the Debian package in a Release build directory, installs it with a plain
# dpkg -i (so a missing Depends fails here), runs the installed ipcbench and tools from outside the tree, then
# purges it and checks that nothing it installed is left. Usage: scripts/ci-package.sh [BUILD_DIR] (default: build,
# as scripts/test.sh leaves it).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
work=$(mktemp -d)
log="$work/log"

# What only this stage needs: dpkg-shlibdeps (dpkg-dev) for CPack's Depends, and man for man -w.
missing=()
for p in dpkg-dev man-db; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

installed() { dpkg-query -W ipcbench >/dev/null 2>&1; }
# A run that fails half-way must not leave the package installed for the next one.
cleanup() {
  if installed; then $sudo dpkg --purge ipcbench >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "ci-package: $*" >&2; exit 1; }
# step WHAT COMMAND...: one line on stderr; the command's output only if it fails.
step() {
  local what=$1
  shift
  echo "ci-package: $what" >&2
  "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$what failed"; }
}

if installed; then step "purging the ipcbench an earlier run left installed" $sudo dpkg --purge ipcbench; fi
rm -f "$build"/ipcbench_*.deb
step "building the package in $build" cmake --build "$build" -j"$(nproc)" --target package
debs=("$build"/ipcbench_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then fail "expected one ipcbench_*.deb in $build, found: ${debs[*]}"; fi
deb=${debs[0]}

# Only what cmake/Install.cmake names (no tests, libraries or headers), and nothing that
# points back into the build or source tree.
echo "ci-package: checking what $(basename "$deb") holds and depends on" >&2
allowed=(./ ./usr/ ./usr/bin/ ./usr/share/ ./usr/share/doc/ ./usr/share/man/ ./usr/share/man/man1/
         './usr/bin/ipcbench[-_a-z]*' './usr/share/ipcbench/.*' './usr/share/doc/ipcbench/.*'
         './usr/share/man/man1/ipcbench\.1\.gz')
stray=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -vx "${allowed[@]/#/-e}" || true)
[ -z "$stray" ] || fail "unexpected files in the package: $stray"
dpkg-deb -x "$deb" "$work/root"
tree_paths=$(grep -rlF -e "$build" -e "$PWD" "$work/root" || true)
[ -z "$tree_paths" ] || fail "files naming the build or source tree: $tree_paths"
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | awk '{print $1}')
for d in libc6 'libstdc++6' 'libevent-.*' 'libfmt.*' 'liburing.*' 'libzmq.*' python3; do
  grep -qx -- "$d" <<<"$depends" || fail "Depends lacks $d: $(dpkg-deb -f "$deb" Depends)"
done

step "installing $(basename "$deb") with dpkg -i" $sudo dpkg -i "$deb"
cd "$work"
[ "$(command -v ipcbench)" = /usr/bin/ipcbench ] || fail "ipcbench is $(command -v ipcbench), not /usr/bin/ipcbench"
step "ipcbench list in $work" ipcbench list
step "a short run" ipcbench run -t pipe,shm-spin -m thread -p cross -s 64 --duration 50ms --repetitions 1 \
  --csv x.csv --table none --quiet
[ "$(wc -l <x.csv)" -gt 1 ] || fail "the short run wrote no rows to x.csv"
step "ipcbench_minimal" ipcbench_minimal pipe 0 64 1000
if [ -x /usr/bin/ipcbench_gbench ]; then step "ipcbench_gbench" ipcbench_gbench --benchmark_list_tests; fi
step "man -w ipcbench" man -w ipcbench
# Each tool through its symlink in bin: the link resolves and the shared module imports.
for tool in $(dpkg -L ipcbench | grep '^/usr/bin/ipcbench-'); do
  step "$(basename "$tool") --help" "$tool" --help
done

files=$(dpkg -L ipcbench)
step "purging the package" $sudo dpkg --purge ipcbench
left=$(while IFS= read -r f; do
  if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then echo "$f"; fi
done <<<"$files")
[ -z "$left" ] || fail "left after the purge: $left"
for d in /usr/share/ipcbench /usr/share/doc/ipcbench; do
  [ ! -e "$d" ] || fail "left after the purge: $d ($(find "$d" | head -5 | tr '\n' ' '))"
done
echo "ci-package: $(wc -l <<<"$files") paths installed, run and purged without a trace" >&2
