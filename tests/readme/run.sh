#!/usr/bin/env bash
# The README's examples, run as written: every curl command of its "Using
# it" section, in order, against a fresh server on a loopback port, from a
# directory that has the clone's docs/examples/.  Each must be answered
# with a 2xx status, and every command the section shows must have run,
# so that the README cannot drift from the service.
#
#   tests/readme/run.sh ADDRMAND_BINARY [README]
set -euo pipefail
bin=$1
if ! command -v curl >/dev/null; then
    echo "FAIL: the curl command is missing (bash scripts/deps.sh test installs it)"
    exit 1
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
readme=${2:-$root/README.md}

work=$(mktemp -d "${TMPDIR:-/tmp}/addrmand-readme.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The sh blocks of the section, as one script.
awk '/^## /{ on = ($0 == "## Using it") }
     on && /^```sh$/ { block = 1; next }
     on && /^```$/ { block = 0; next }
     on && block' "$readme" > "$work/examples.sh"
expected=$(grep -c '^curl ' "$work/examples.sh" || true)
if [ "$expected" -lt 10 ]; then
    echo "FAIL: only $expected curl commands found in the README's \"Using it\" section"
    exit 1
fi

# The bucketing key is fixed.  With a fresh random one, two of the peers
# the README adds land in one new-table slot about one run in 1300 (three
# of them come from one source, whose peers share 64 buckets), the second
# is turned away, and the commands that name it answer 404.  With this key
# every peer the README adds finds its slot free; the check after the run
# says so if an edit of the README ever changes that.
key=5f0c2a91d4e37b68a1c9e0f2b4d6a8c3
mkdir -m 0700 "$work/data"
(umask 077 && printf '{"format":1,"key":"%s","new_buckets":1024,"tried_buckets":256,"next_id":1,"journal":1}\n' \
    "$key" > "$work/data/addrmand.json")

# The log exists before the server starts: the background child opens it
# later, and the first look for the port must not find it missing.
: > "$work/server.log"
"$bin" --listen 127.0.0.1:0 --datadir "$work/data" >> "$work/server.log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/server.log" || true)
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "FAIL: the server did not start"; cat "$work/server.log"; exit 1
fi

mkdir "$work/run"
ln -s "$root/docs" "$work/run/docs"
sed "s/localhost:8380/127.0.0.1:$port/g" "$work/examples.sh" > "$work/run/examples.sh"
cat > "$work/run/prelude.sh" <<'PRELUDE'
# Each curl call notes its status (from the headers it dumps) and command.
n=0
curl() {
    n=$((n + 1))
    local hdr="$RESULTS.h$n" st
    if ! command curl -sS -D "$hdr" "$@"; then
        echo "000 curl $(echo "$*" | tr -s '\n ' ' ')" >> "$RESULTS"
        return 0
    fi
    echo
    st=$(awk 'NR == 1 { print $2 }' "$hdr")
    echo "$st curl $(echo "$*" | tr -s '\n ' ' ')" >> "$RESULTS"
}
PRELUDE
(cd "$work/run" && RESULTS="$work/results" bash -c \
    'set -u; . ./prelude.sh; . ./examples.sh') > "$work/answers" 2>&1 || true

ran=$(wc -l < "$work/results" 2>/dev/null || echo 0)
bad=$(grep -cv '^2[0-9][0-9] ' "$work/results" || true)
echo "--- answers"
cat "$work/answers"
echo "--- status, command"
cat "$work/results"
held=$(grep -c '"table_full":' "$work/answers" || true)
if ! grep -q "\"key\":\"$key\"" "$work/data/addrmand.json"; then
    echo "FAIL: the server did not take the fixed key"; cat "$work/server.log"; exit 1
fi
echo "readme: $ran of $expected commands ran, $((ran - bad)) answered 2xx, $bad did not;" \
     "$held answers turned a peer away for a held slot"
if [ "$held" -ne 0 ]; then
    echo "FAIL: with the fixed key two of the README's peers share a slot: choose another key in $0"
fi
[ "$ran" -eq "$expected" ] && [ "$bad" -eq 0 ] && [ "$held" -eq 0 ]
