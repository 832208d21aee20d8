#!/usr/bin/env bash
# The live node's benchmarks (BENCHMARKS.md, "Live node"): starts a fresh node on loopback, runs
# one `gridbook load` against it, prints the node's per-thread CPU, and stops it.
#
#   benches/node/load.sh AUTH RATE DURATION_S BATCH CONNECTIONS [more gridbook load options]
#   e.g. benches/node/load.sh none 60000 10 1000 8
# AUTH is `gridbook load --auth`: sig, session (the node runs with sig, which sessions need) or
# none.
#
# FEEDS=off: the node without its market-data feeds. SUBSCRIBERS=N: also runs N feed subscribers
# (benches/src/bin/fanout.rs) for the whole load. Needs `cargo build --release` first; GRIDBOOK (the binary) and DATA (a scratch directory on the
# disk under test, emptied) may be set. The node runs with benches/node/node.toml (limits
# raised: one generator on one address stands for many clients).
set -euo pipefail
source "$(dirname "$0")/common.sh"
AUTH=$1 RATE=$2 DURATION=$3 BATCH=$4 CONNECTIONS=$5
shift 5
rm -rf "$DATA"
NODE_AUTH=$AUTH
[ "$AUTH" = session ] && NODE_AUTH=sig
start_node "$NODE_AUTH" "${PORT:-18490}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
FANOUT_PID=""
if [ -n "${SUBSCRIBERS:-}" ]; then
  FANOUT=${FANOUT:-${CARGO_TARGET_DIR:-target}/release/fanout}
  "$FANOUT" --target "http://127.0.0.1:${PORT:-18490}" --subscribers "$SUBSCRIBERS" \
    --duration "$DURATION" --node-pid "$NODE" &
  FANOUT_PID=$!
  sleep 3  # the subscribers connect and take their snapshots before the load starts
fi
"$GRIDBOOK" load --target "http://127.0.0.1:${PORT:-18490}" --rate "$RATE" \
  --duration "$DURATION" --batch "$BATCH" --connections "$CONNECTIONS" --auth "$AUTH" \
  --node-pid "$NODE" "$@"
[ -n "$FANOUT_PID" ] && wait "$FANOUT_PID"
for task in /proc/$NODE/task/*; do
  awk -v name="$(cat "$task/comm")" '{ split($0, a, ") "); split(a[2], f, " ");
    printf "  node thread %-18s cpu %.2f s\n", name, (f[12] + f[13]) / 100 }' "$task/stat"
done | sort -k5 -rn
