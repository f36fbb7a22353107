#!/usr/bin/env bash
# Install what is missing, then build and run every test twice: a normal
# build with -Werror, and an AddressSanitizer + UBSan build; then the
# threaded tests under ThreadSanitizer, every fuzz target for 20 s, and the
# container test (Docker engine and image, the integration suite against
# the container).  Where no Docker engine can run (an unprivileged
# container, as CI runners often are) the container test prints one line
# "SKIPPED: <reason>" and passes, unless ADDRMAND_REQUIRE_DOCKER=1 (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test

jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
    local dir=$1
    shift
    echo "=== build $dir ($*)"
    cmake -S . -B "$dir" -DADDRMAND_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs"
    echo "=== test $dir"
    (cd "$dir" && ctest --output-on-failure)
}

run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "=== core benchmark (quick smoke run)"
build/test/bench/core_bench --quick

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite build/sanitize -DCMAKE_BUILD_TYPE=Debug -DADDRMAND_SANITIZE=address,undefined

echo "=== ThreadSanitizer over the tests that run threads (scripts/tsan.sh)"
bash scripts/tsan.sh

echo "=== fuzz targets, 20 s each (fuzz/run)"
bash fuzz/run 20

echo "=== the container image (tests/docker/run.sh)"
bash tests/docker/run.sh build/test
