#!/usr/bin/env bash
# Install the Debian 12 packages addrmand needs, when they are missing.
#   scripts/deps.sh          build and run the service
#   scripts/deps.sh test     also build and run the tests (with the
#                            third-party clients: Node.js, npm, python3-bitcoinlib)
#   scripts/deps.sh fuzz     also build and run the fuzz targets (fuzz/run)
#   scripts/deps.sh docker   the tests and the container test (tests/docker/run.sh):
#                            Debian's Docker engine, debootstrap, curl, jq
#   scripts/deps.sh valgrind the tests and valgrind (scripts/valgrind.sh)
# Uses sudo when not run as root.  Does nothing when all is there.
set -euo pipefail

# The daemon: libmicrohttpd and libcrypto.  jansson only checks answers in
# the tests and the fuzz targets (the daemon reads JSON with its own reader).
pkgs=(gcc make cmake pkg-config libc6-dev libmicrohttpd-dev libssl-dev libuv1-dev)
if [ "${1:-}" = test ]; then
    pkgs+=(libjansson-dev libcmocka-dev libcurl4-openssl-dev curl)
    # The third-party clients of tests/clients/: python-bitcoinlib, and
    # bcoin from npm, whose native modules node-gyp builds with g++.
    pkgs+=(python3-bitcoinlib g++)
    # Debian's Node.js and npm, unless a node with its npm is there already
    # (another build of nodejs may bundle npm and conflict with Debian's).
    command -v npm >/dev/null || pkgs+=(nodejs npm)
fi
if [ "${1:-}" = valgrind ]; then
    pkgs+=(libjansson-dev libcmocka-dev libcurl4-openssl-dev curl valgrind)
fi
if [ "${1:-}" = docker ]; then
    pkgs+=(libjansson-dev libcmocka-dev libcurl4-openssl-dev docker.io debootstrap curl jq)
fi
if [ "${1:-}" = fuzz ]; then
    pkgs+=(libjansson-dev clang llvm libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
echo "deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
