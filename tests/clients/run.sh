#!/usr/bin/env bash
# One third-party Bitcoin client against the real daemon's P2P face: a
# fresh regtest daemon on loopback ports (HTTP and P2P, both read from its
# log), the client run against it, the daemon stopped (SIGTERM) and its
# datadir removed.  Exit status: the client's; 1 when the daemon does not
# start or does not stop cleanly.
#
#   tests/clients/run.sh ADDRMAND_BINARY CLIENT [WORK_DIR]
#
# CLIENT:
#   bcoin       bcoin 1.0.2 (bcoin/run.js), installed with `npm ci` from
#               bcoin/package-lock.json into WORK_DIR/bcoin, once: later
#               runs find it there (keyed by the lock file) and need no
#               network.  Needs node and npm (scripts/deps.sh test).
#   bitcoinlib  python-bitcoinlib (python/test_bitcoinlib.py), with Debian's
#               /usr/bin/python3 and python3-bitcoinlib.
#   bcoin-probe the prober against a bcoin 1.0.2 node (bcoin/probe.js), the
#               daemon started with --probe --probe-rate 20 --probe-timeout 5;
#               bcoin installed as for `bcoin`, in the same directory.
# WORK_DIR defaults to a temporary directory (removed at the end, so each
# run installs bcoin again).
set -euo pipefail
bin=$1
client=$2
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/addrmand-clients.XXXXXX")
keep=${3:-}
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# The client's prerequisites first: nothing is skipped.
extra=()
case $client in
bcoin|bcoin-probe)
    command -v node >/dev/null || fail "node is missing (bash scripts/deps.sh test installs nodejs)"
    command -v npm >/dev/null || fail "npm is missing (bash scripts/deps.sh test installs npm)"
    dir=${keep:-$work}/bcoin
    mkdir -p "$dir"
    # The lock file names the install: a copy that matches it is reused.
    stamp=$(sha256sum "$here/bcoin/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$stamp" ] ||
       [ ! -f "$dir/node_modules/bcoin/package.json" ]; then
        rm -f "$dir/.installed"
        cp "$here/bcoin/package.json" "$here/bcoin/package-lock.json" "$here/bcoin/.npmrc" "$dir/"
        echo "clients: npm ci in $dir"
        t0=$(date +%s)
        # bcoin's native modules are built by node-gyp: with the headers of
        # the installed node when it ships them, node-gyp needs no download.
        nodedir=()
        for d in /usr /usr/local; do
            if [ -f "$d/include/node/common.gypi" ]; then nodedir=(--nodedir="$d"); break; fi
        done
        (cd "$dir" && npm ci --no-audit --no-fund "${nodedir[@]}") >"$dir/npm.log" 2>&1 ||
            { cat "$dir/npm.log"; fail "npm ci (bcoin) failed"; }
        echo "clients: bcoin installed in $(($(date +%s) - t0)) s"
        echo "$stamp" > "$dir/.installed"
    fi
    cp "$here/bcoin/common.js" "$here/bcoin/run.js" "$here/bcoin/probe.js" "$dir/"
    run=(node "$dir/run.js")
    if [ "$client" = bcoin-probe ]; then
        run=(node "$dir/probe.js")
        extra=(--probe --probe-rate 20 --probe-timeout 5)
    fi
    ;;
bitcoinlib)
    [ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is missing"
    /usr/bin/python3 -c 'import bitcoin.messages' 2>/dev/null ||
        fail "python3-bitcoinlib is missing (bash scripts/deps.sh test installs it)"
    run=(/usr/bin/python3 "$here/python/test_bitcoinlib.py")
    ;;
*)
    fail "unknown client '$client' (bcoin, bitcoinlib, bcoin-probe)"
    ;;
esac

# The log exists before the daemon starts, so that the first look for the
# ports does not find it missing.
: > "$work/server.log"
"$bin" --datadir "$work/data" --listen 127.0.0.1:0 --p2p-listen 127.0.0.1:0 \
    --chain regtest --p2p-max-per-ip 0 --p2p-max-per-group 0 ${extra[@]+"${extra[@]}"} \
    >> "$work/server.log" 2>&1 &
pid=$!
http_port= p2p_port=
for _ in $(seq 100); do
    http_port=$(sed -n 's/.* addrmand [^ ]* listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log")
    p2p_port=$(sed -n 's/.* p2p listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log")
    [ -n "$http_port" ] && [ -n "$p2p_port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$http_port" ] || [ -z "$p2p_port" ]; then
    cat "$work/server.log"
    fail "the daemon did not start (HTTP port '${http_port}', P2P port '${p2p_port}')"
fi
echo "clients: daemon on HTTP 127.0.0.1:$http_port, P2P 127.0.0.1:$p2p_port; running $client"

status=0
t0=$(date +%s)
"${run[@]}" "http://127.0.0.1:$http_port" "$p2p_port" || status=$?
echo "clients: $client exited $status after $(($(date +%s) - t0)) s"

kill -TERM "$pid"
daemon=0
wait "$pid" || daemon=$?
pid=
if [ "$status" -ne 0 ] || [ "$daemon" -ne 0 ]; then
    echo "--- server.log"
    cat "$work/server.log"
fi
[ "$daemon" -eq 0 ] || fail "the daemon exited $daemon on SIGTERM"
exit "$status"
