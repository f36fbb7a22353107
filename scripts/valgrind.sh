#!/usr/bin/env bash
# Valgrind memcheck over the integration suite: a Debug build in
# build/valgrind, then every integration test with each addrmand it starts
# running under valgrind (ADDRMAND_TEST_WRAPPER, read by
# tests/integration/harness.c, which then also allows 10x the start and stop
# time).  Each server writes its own log (build/valgrind/vg-logs/<pid>.log);
# the summary at the end counts the servers, their errors and their definite
# leaks.  Exit status 1 on any memcheck error, definite leak or server that
# died of a signal (and, with STRICT=1, on a failed test: see the end).
#
#   scripts/valgrind.sh [REGEX]      only the tests whose name matches
#
# Environment: JOBS (tests run at once, default 2), TEST_TIMEOUT (seconds per
# test program, default 1800), STRICT.  The tests are run directly rather than by
# ctest, whose 120 s per test is too short under valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

filter=${1:-.}
jobs=${JOBS:-2}
dir=build/valgrind
logs=$dir/vg-logs
out=$dir/vg-tests

bash scripts/deps.sh valgrind
start=$(date +%s)

echo "=== build $dir (Debug)"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DADDRMAND_WERROR=ON >/dev/null
# The server and the tests only: a bench program being edited cannot
# stop the run.
targets=(addrmand)
for f in tests/integration/test_*.c; do
    [[ $(basename "$f" .c) =~ $filter ]] && targets+=("$(basename "$f" .c)")
done
cmake --build "$dir" -j"$jobs" --target "${targets[@]}" >/dev/null

rm -rf "$logs" "$out"
mkdir -p "$logs" "$out"
vg=$(command -v valgrind)
# Words split at spaces by the harness: no spaces inside the log path.
logs_abs=$(cd "$logs" && pwd)
case $logs_abs in *" "*) echo "valgrind.sh: no spaces in $logs_abs, please" >&2; exit 2 ;; esac
export ADDRMAND_TEST_WRAPPER="$vg --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=30 \
--log-file=$logs_abs/%p.log"

tests=()
for name in "${targets[@]:1}"; do
    tests+=("$dir/tests/integration/$name")
done
[ ${#tests[@]} -gt 0 ] || { echo "valgrind.sh: no test matches '$filter'" >&2; exit 2; }

echo "=== ${#tests[@]} integration tests, servers under valgrind, $jobs at once"
run_one() {
    local name rc
    name=$(basename "$1")
    rc=0
    timeout "${TEST_TIMEOUT:-1800}" "$1" >"$out/$name.log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "  pass  $name"
    else
        echo "  FAIL  $name (exit status $rc, output in $out/$name.log)"
        echo "$name" >>"$out/failed"
    fi
}
export -f run_one
export out TEST_TIMEOUT
printf '%s\n' "${tests[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}

# One log per server.  ERROR SUMMARY counts the definite leaks too (one per
# loss record), so the other errors are its count minus those records.  A
# log without a summary is a server killed on purpose (SIGKILL tests); one
# that says "Process terminating" died of a signal it did not handle.
servers=0 unfinished=0 crashed=0 errors=0 leak_records=0 leak_bytes=0 bad=()
for f in "$logs"/*.log; do
    [ -e "$f" ] || continue
    servers=$((servers + 1))
    if grep -q 'Process terminating with default action' "$f"; then
        crashed=$((crashed + 1))
        bad+=("$f")
    fi
    n=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -1)
    if [ -z "$n" ]; then
        unfinished=$((unfinished + 1))
        continue
    fi
    recs=$(grep -c 'definitely lost in loss record' "$f" || true)
    bytes=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -1)
    errors=$((errors + n - recs))
    leak_records=$((leak_records + recs))
    leak_bytes=$((leak_bytes + ${bytes:-0}))
    [ "$n" -gt 0 ] && bad+=("$f")
done
failed=0
[ -f "$out/failed" ] && failed=$(wc -l <"$out/failed")

echo "=== valgrind summary ($(( $(date +%s) - start )) s)"
echo "server processes:       $servers ($unfinished ended by SIGKILL before their summary)"
echo "died of a signal:       $crashed"
echo "memcheck errors:        $errors"
echo "definite leaks:         $leak_records ($leak_bytes bytes)"
echo "failed test programs:   $failed"
for f in "${bad[@]}"; do
    echo "  see $f"
done
# A test may fail here for time alone: the server runs 20 to 50 times
# slower, and a few tests wait for a 1 s ban or a lease to expire.  Those
# fail the run only with STRICT=1; what valgrind finds always does.
if [ "$failed" -gt 0 ]; then
    echo "  (failed under valgrind: $(tr '\n' ' ' <"$out/failed"); run them"
    echo "   without valgrind to tell a timing effect from a bug)"
fi
if [ "$errors" -gt 0 ] || [ "$leak_records" -gt 0 ] || [ "$crashed" -gt 0 ] ||
    { [ "${STRICT:-0}" = 1 ] && [ "$failed" -gt 0 ]; }; then
    echo "valgrind: FAIL"
    exit 1
fi
echo "valgrind: OK"
