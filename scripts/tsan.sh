#!/usr/bin/env bash
# ThreadSanitizer over the tests that run threads: a build with
# -DADDRMAND_SANITIZE=thread in build/tsan (the addrmand those tests start is
# that build's, so the server's threads are checked too), then ctest on
#   integration.test_concurrency, test_shared_pool, test_nodes,
#   test_persist_crash, test_shutdown, and every unit test using pthreads.
# Every process writes its reports to build/tsan/tsan-logs/; they are
# counted at the end.  Exit status 1 on a failed test or any report.
#
#   scripts/tsan.sh [REGEX]     other ctest names instead (e.g. integration)
#
# Environment: CC (default clang when it has the TSan runtime, else gcc),
# JOBS (build jobs, default 2).  TSan of clang 14 and gcc 12 cannot map its
# shadow memory when the kernel randomizes mmap with more than 28 bits
# ("unexpected memory mapping"); the tests then run under
# `setarch -R` (no address randomization), which is enough.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test
jobs=${JOBS:-2}
dir=build/tsan
logs=$dir/tsan-logs
start=$(date +%s)

cc=${CC:-}
if [ -z "$cc" ]; then
    cc=gcc
    if command -v clang >/dev/null &&
        echo 'int main(void){return 0;}' |
        clang -x c -fsanitize=thread -o /dev/null - 2>/dev/null; then
        cc=clang
    fi
fi

# The tests, and the targets to build: the server and those tests only,
# so that a bench program being edited cannot stop the run.
regex=${1:-}
if [ -z "$regex" ]; then
    regex='integration\.test_(concurrency|shared_pool|nodes|persist_crash|shutdown|p2p|p2p_hostile|p2p_limits|probe|it_socks5)|unit\.test_p2p_face'
    for f in $(grep -l pthread tests/unit/test_*.c 2>/dev/null || true); do
        regex="$regex|unit\\.$(basename "$f" .c)"
    done
    regex="^($regex)\$"
fi
targets=(addrmand)
for f in tests/unit/test_*.c tests/integration/test_*.c; do
    name=$(basename "$f" .c)
    [[ "$(basename "$(dirname "$f")").$name" =~ $regex ]] && targets+=("$name")
done

echo "=== build $dir ($cc, -fsanitize=thread)"
cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DADDRMAND_SANITIZE=thread -DADDRMAND_WERROR=ON >/dev/null
cmake --build "$dir" -j"$jobs" --target "${targets[@]}" >/dev/null

rm -rf "$logs"
mkdir -p "$logs"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$(cd "$logs" && pwd)/tsan"

# Can a TSan binary start here at all?
run=()
if ! "$dir/addrmand" --version >/dev/null 2>&1; then
    if setarch "$(uname -m)" -R "$dir/addrmand" --version >/dev/null 2>&1; then
        echo "=== TSan cannot map its memory with ASLR on: running under setarch -R"
        run=(setarch "$(uname -m)" -R)
    else
        echo "tsan.sh: a TSan binary does not start, even under setarch -R:" >&2
        "$dir/addrmand" --version >&2 || true
        exit 2
    fi
    rm -f "$logs"/*
fi

echo "=== ctest -R '$regex'"
rc=0
(cd "$dir" && "${run[@]}" ctest -R "$regex" --output-on-failure) || rc=$?

reports=$(cat "$logs"/* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer' || true)
echo "=== tsan summary ($(( $(date +%s) - start )) s)"
echo "ThreadSanitizer reports: $reports"
for f in "$logs"/*; do
    [ -e "$f" ] || continue
    grep -q 'WARNING: ThreadSanitizer' "$f" && echo "  see $f"
done
if [ "$rc" -ne 0 ] || [ "$reports" -gt 0 ]; then
    echo "tsan: FAIL"
    exit 1
fi
echo "tsan: OK"
