#!/usr/bin/env bash
# Install what is missing, build addrmand and run it on its defaults
# (127.0.0.1:8380, data in ./addrmand-data).  Extra arguments go to addrmand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DADDRMAND_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)"
exec build/release/addrmand "$@"
