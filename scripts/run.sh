#!/usr/bin/env bash
# Install what is missing, build addrmand and run it on its defaults
# (127.0.0.1:8380, data in ./addrmand-data).  Extra arguments go to addrmand
# (bash scripts/run.sh --help).
#
# Only the daemon is built (no tests, no benchmarks), in build/release.  What
# the installation and the build print goes to build/release/build.log and
# is shown only when one of them fails, so that addrmand's own output (its
# --help, its log) is all there is on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build/release
log=$dir/build.log
mkdir -p "$dir"

build() {
    bash scripts/deps.sh
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
        -DADDRMAND_TESTS=OFF -DADDRMAND_BENCH=OFF
    cmake --build "$dir" --target addrmand -j"$(nproc 2>/dev/null || echo 2)"
}
if ! build >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "run.sh: the build failed (whole log: $log)" >&2
    exit 1
fi
exec "$dir/addrmand" "$@"
